// Benchmark of identity-join at size: DS1 >= 8 GB uncompressed-equivalent (one date partition)
// and DS2 >= 1 GB, generated once into a cache folder outside the repo. In one script:
//   1. the baseline: one hand-written DuckDB join over the same files (bench/identity-join/baseline.ts);
//   2. the pipeline on a real worker process (default memory);
//   3. the shuffle: DAYBREAK_DUCKDB_MEMORY_LIMIT=<limit> (DS2 several times larger), one task at
//      a time, the buckets the planner chooses, then `shards` forcing each of --buckets; for each,
//      DS1's bytes read by the maps against its size, how the time splits between the maps (the
//      DuckDB query that reads, buckets and writes the partitions; moving them to the work
//      prefix) and the per-bucket joins, and the peak worker RSS.
// Every output is checked against the baseline's (row count and an order-free checksum). Results
// go to BENCHMARKS.md (the identity-join section) and bench/results/identity-join.json.
//
//   npm run bench:identity-join [-- --rows N --visitors V] [--limit 256MB] [--buckets 4,16,64]
//     [--prepare (generate the data only)]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import { loadConfig } from '../../lib/config.js';
import { freePort, startDevServer } from '../../devstack/dev-server.js';
import { sqlFileList, withDuckDB } from '../../lib/duckdb.js';
import { RAW, rawFolder } from '../../lib/datasets.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';

const DS1_DATASET = rawFolder(RAW.visitorEvents);
const DS2_DATASET = rawFolder(RAW.liveramp);
import { connectClient } from '../../lib/temporal.js';
import { findOrBuildTemporalCli } from '../../devstack/temporal-cli.js';
import { writeWorkflowBundle } from '../../workers/bundle.js';
import type { IdentityJoinResult } from '../../activities/identity-join/types.js';
import { parseByteSize } from '../../activities/common/memory.js';
import { DS2_MEMORY_PER_PARQUET_BYTE } from '../../activities/identity-join/plan.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const argText = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const ROWS = arg('rows', 42_000_000);
const VISITORS = arg('visitors', 12_000_000);
const SEED = 1;
const DATE = '2025-06-01';
const THREADS = 2;
const TARGET_FILE_MB = 128;
/** The task memory of the shuffle runs, and the bucket counts forced after the planner's choice. */
const LIMIT = argText('limit', '256MB');
const BUCKETS = argText('buckets', '4,16,64')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const cacheRoot =
  process.env.DAYBREAK_BENCH_DIR ?? path.join(os.homedir(), '.cache', 'daybreak', 'bench', 'identity-join');
const dataDir = path.join(cacheRoot, `rows${ROWS}-visitors${VISITORS}-seed${SEED}`);
const repo = path.resolve(import.meta.dirname, '..', '..');
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface DataInfo {
  ds1Files: string[];
  ds2Files: string[];
  ds1ParquetBytes: number;
  ds2ParquetBytes: number;
  /** CSV-equivalent bytes: the sum of every value's text length plus separators. */
  ds1UncompressedBytes: number;
  ds2UncompressedBytes: number;
  ds1Rows: number;
  ds2Rows: number;
  generateMs?: number;
}

function parquetFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.parquet'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function csvEquivalent(files: string[]): Promise<{ bytes: number; rows: number }> {
  return withDuckDB({ scratchDir: path.join(cacheRoot, 'scratch'), threads: THREADS }, async (conn) => {
    const cols = (
      await conn.runAndReadAll(
        `DESCRIBE SELECT * FROM read_parquet(${sqlFileList(files)}, hive_partitioning = false)`,
      )
    )
      .getRowObjects()
      .map((r) => String(r.column_name));
    const sum = cols.map((c) => `coalesce(strlen(CAST("${c}" AS VARCHAR)), 0)`).join(' + ');
    const row = (
      await conn.runAndReadAll(
        `SELECT sum(${sum} + ${cols.length}) AS bytes, count(*) AS rows FROM read_parquet(${sqlFileList(files)}, hive_partitioning = false)`,
      )
    ).getRowObjects()[0]!;
    return { bytes: Number(row.bytes), rows: Number(row.rows) };
  });
}

async function ensureData(): Promise<DataInfo> {
  const marker = path.join(dataDir, 'bench-data.json');
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as DataInfo;
  log(`generating ${ROWS} DS1 rows and ${VISITORS} visitors into ${dataDir} (once)`);
  const started = Date.now();
  await generateIdentityJoin({
    rows: ROWS,
    visitors: VISITORS,
    seed: SEED,
    out: dataDir,
    days: 1,
    startDate: DATE,
    threads: THREADS,
    scratchDir: path.join(cacheRoot, 'scratch'),
  });
  const generateMs = Date.now() - started;
  const ds1Files = parquetFiles(path.join(dataDir, DS1_DATASET));
  const ds2Files = parquetFiles(path.join(dataDir, DS2_DATASET));
  const size = (files: string[]) => files.reduce((s, f) => s + fs.statSync(f).size, 0);
  const ds1 = await csvEquivalent(ds1Files);
  const ds2 = await csvEquivalent(ds2Files);
  const info: DataInfo = {
    ds1Files,
    ds2Files,
    ds1ParquetBytes: size(ds1Files),
    ds2ParquetBytes: size(ds2Files),
    ds1UncompressedBytes: ds1.bytes,
    ds2UncompressedBytes: ds2.bytes,
    ds1Rows: ds1.rows,
    ds2Rows: ds2.rows,
    generateMs,
  };
  fs.writeFileSync(marker, JSON.stringify(info, null, 2));
  return info;
}

/** Row count and an order-free checksum of the output (same DuckDB, so hash() is comparable). */
async function fingerprint(files: string[]): Promise<{ rows: number; checksum: string }> {
  return withDuckDB({ scratchDir: path.join(cacheRoot, 'scratch'), threads: THREADS }, async (conn) => {
    const row = (
      await conn.runAndReadAll(
        `SELECT count(*) AS rows, bit_xor(hash(event_id, lvr_id, sha2)) AS checksum FROM read_parquet(${sqlFileList(files)})`,
      )
    ).getRowObjects()[0]!;
    return { rows: Number(row.rows), checksum: String(row.checksum) };
  });
}

/**
 * Flushes the page cache's dirty pages before a timed run: a run that starts while the previous
 * one's ~10 GB are still being written back pays for them (the kernel's work lands on the writer's
 * system time), so without this the first run after a busy one measured 30% slower.
 */
function settleWriteback(): void {
  execFileSync('sync');
}

function peakRss(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function runBaseline(data: DataInfo, out: string) {
  fs.rmSync(out, { recursive: true, force: true });
  const input = JSON.stringify({
    ds1Files: data.ds1Files,
    ds2Files: data.ds2Files,
    out,
    threads: THREADS,
    targetFileMB: TARGET_FILE_MB,
  });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repo, 'bench/identity-join/baseline.ts'), input],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: repo,
    },
  );
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`baseline failed with exit code ${code}`);
  return JSON.parse(stdout) as { ms: number; peakRssBytes: number };
}

async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(repo, 'bin/daybreak.js'), 'worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: repo,
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('polling')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}): ${err}`)));
  });
  return child;
}

/** DS1 read how many times, and where the shuffle's time went (sums over tasks, one at a time). */
function shuffleSplit(result: IdentityJoinResult, data: DataInfo): string {
  const s = result.shuffle!;
  return (
    `DS1 read ${(s.ds1BytesRead / data.ds1ParquetBytes).toFixed(2)}x; maps ${secs(s.mapMs)} ` +
    `(query ${secs(s.mapQueryMs)}, partition moves ${secs(s.partitionMoveMs)}; ${s.partitionFiles} partition files, ` +
    `${gb(s.partitionBytes)}), bucket joins ${secs(s.reduceMs)}`
  );
}

async function main() {
  const load: { before: number[]; after: number[] } = { before: os.loadavg(), after: [] };
  const data = await ensureData();
  log(
    `DS1 ${data.ds1Rows} rows, ${gb(data.ds1UncompressedBytes)} uncompressed-equivalent (${gb(data.ds1ParquetBytes)} Parquet, ${data.ds1Files.length} files); ` +
      `DS2 ${data.ds2Rows} rows, ${gb(data.ds2UncompressedBytes)} (${gb(data.ds2ParquetBytes)} Parquet)`,
  );

  if (argv.includes('--prepare')) return; // data only (generate ahead of a quiet moment)

  const baselineOut = path.join(cacheRoot, 'out-baseline');
  log('baseline: one hand-written DuckDB join ...');
  settleWriteback();
  const baseline = await runBaseline(data, baselineOut);
  const expected = await fingerprint(parquetFiles(baselineOut));
  log(`baseline: ${secs(baseline.ms)}, ${expected.rows} rows, peak RSS ${gb(baseline.peakRssBytes)}`);
  fs.rmSync(baselineOut, { recursive: true, force: true });

  const binary = await findOrBuildTemporalCli({ cacheDir: path.join(os.homedir(), '.cache', 'daybreak') });
  // Workers load a prebuilt workflow bundle, as they do in the image.
  const bundle = path.join(cacheRoot, 'workflow-bundle.js');
  await writeWorkflowBundle(bundle);
  const server = await startDevServer({ binary, headless: true });
  const runs: {
    label: string;
    env: Record<string, string>;
    wallMs: number;
    result: IdentityJoinResult;
    peakRssBytes: number;
    outputFiles: number;
  }[] = [];
  try {
    const limited = { DAYBREAK_DUCKDB_MEMORY_LIMIT: LIMIT, DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1' };
    const variants: { label: string; env: Record<string, string>; shards?: number }[] = [
      { label: 'pipeline (default memory)', env: {} },
      {
        label: `shuffle, DAYBREAK_DUCKDB_MEMORY_LIMIT=${LIMIT}, 1 task at a time, planner's buckets`,
        env: limited,
      },
    ];
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[i]!;
      const env: Record<string, string> = {
        TEMPORAL_ADDRESS: server.address,
        DAYBREAK_TASK_QUEUE: `bench-ij-${randomUUID()}`,
        DAYBREAK_SCRATCH_DIR: path.join(cacheRoot, 'scratch'),
        DAYBREAK_DUCKDB_THREADS: String(THREADS),
        DAYBREAK_WORKFLOW_BUNDLE: bundle,
        METRICS_PORT: String(await freePort()),
        TEMPORAL_METRICS_PORT: String(await freePort()),
        ...variant.env,
      };
      const config = loadConfig({ ...process.env, ...env });
      const output = path.join(cacheRoot, `out-pipeline-${i}`);
      fs.rmSync(output, { recursive: true, force: true });
      const worker = await startWorker(env);
      const client = await connectClient(config);
      try {
        log(`${variant.label} ...`);
        settleWriteback();
        const started = Date.now();
        const handle = await startRun({
          client,
          config,
          pipeline: 'identity-join',
          runDate: DATE,
          rawParams: {
            ds1: path.join(dataDir, DS1_DATASET),
            ds2: path.join(dataDir, DS2_DATASET),
            output,
            ...(variant.shards ? { shards: String(variant.shards) } : {}),
          },
        });
        const result = await waitForRun<IdentityJoinResult>(handle);
        const wallMs = Date.now() - started;
        const peakRssBytes = peakRss(worker.pid!);
        const files = parquetFiles(output);
        const got = await fingerprint(files);
        if (got.rows !== expected.rows || got.checksum !== expected.checksum) {
          throw new Error(
            `${variant.label}: output differs from the baseline (${JSON.stringify(got)} vs ${JSON.stringify(expected)})`,
          );
        }
        log(
          `${variant.label}: ${secs(wallMs)} (workflow ${secs(result.durationMs)}), ${result.shards} shards, ${result.tasks} tasks, ` +
            `${files.length} files, peak worker RSS ${gb(peakRssBytes)}; rows and checksum equal the baseline's` +
            (result.shuffle ? `; ${shuffleSplit(result, data)}` : ''),
        );
        if (i === 1) {
          // After the planner's choice, the same limit with each bucket count forced.
          for (const b of BUCKETS.filter((n) => n !== result.shards)) {
            variants.push({ label: `shuffle, ${LIMIT}, shards=${b}`, env: limited, shards: b });
          }
        }
        runs.push({
          label: variant.label,
          env: variant.env,
          wallMs,
          result,
          peakRssBytes,
          outputFiles: files.length,
        });
      } finally {
        await client.connection.close();
        worker.kill('SIGTERM');
        await new Promise((r) => worker.once('exit', r));
        fs.rmSync(output, { recursive: true, force: true });
      }
    }
  } finally {
    await server.stop();
  }
  load.after = os.loadavg();
  report(data, baseline, expected.rows, runs, load);
}

function report(
  data: DataInfo,
  baseline: { ms: number; peakRssBytes: number },
  rows: number,
  runs: {
    label: string;
    wallMs: number;
    result: IdentityJoinResult;
    peakRssBytes: number;
    outputFiles: number;
  }[],
  load: { before: number[]; after: number[] },
) {
  const when = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
  const lines = [
    '<!-- identity-join:start -->',
    '## identity-join',
    '',
    '```sh',
    `npm run bench:identity-join${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    '```',
    '',
    `Run ${when} on ${os.cpus().length} cores, ${gb(os.totalmem())} RAM, DuckDB threads ${THREADS}. ` +
      `The machine was shared: load average (1/5/15 min) ${fmtLoad(load.before)} before and ${fmtLoad(load.after)} after, ` +
      'so absolute times are noisy; the ratio is what the bench is for.',
    '',
    `Data (generated once into \`${cacheRoot}\`, seed ${SEED}): DS1 partition dt=${DATE}: ${data.ds1Rows.toLocaleString('en-US')} rows, ` +
      `**${gb(data.ds1UncompressedBytes)} uncompressed-equivalent** (CSV-equivalent bytes), ${gb(data.ds1ParquetBytes)} Parquet in ${data.ds1Files.length} files; ` +
      `DS2: ${data.ds2Rows.toLocaleString('en-US')} rows, **${gb(data.ds2UncompressedBytes)}** uncompressed-equivalent, ${gb(data.ds2ParquetBytes)} Parquet. ` +
      `Output: ${rows.toLocaleString('en-US')} rows.`,
    '',
    '| run | time | vs baseline | shards / tasks | output files | peak RSS |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| baseline: one hand-written DuckDB join (same rule, DISTINCT, Parquet, ${TARGET_FILE_MB} MB files) | ${secs(baseline.ms)} | 1.00x | - | - | ${gb(baseline.peakRssBytes)} |`,
    ...runs.map(
      (r) =>
        `| ${r.label} | ${secs(r.wallMs)} (workflow ${secs(r.result.durationMs)}) | ${(r.wallMs / baseline.ms).toFixed(2)}x | ${r.result.shards} / ${r.result.tasks} | ${r.outputFiles} | ${gb(r.peakRssBytes)} (worker) |`,
    ),
    '',
    `The shuffle runs (DS2's estimated hash table ${gb(data.ds2ParquetBytes * DS2_MEMORY_PER_PARQUET_BYTE)}, ` +
      `${((data.ds2ParquetBytes * DS2_MEMORY_PER_PARQUET_BYTE) / parseByteSize(LIMIT)).toFixed(1)}x the ${LIMIT} limit; ${gb(data.ds2UncompressedBytes)} uncompressed-equivalent, ` +
      `${(data.ds2UncompressedBytes / parseByteSize(LIMIT)).toFixed(1)}x): where the time went, summed over tasks run one at a time.`,
    '',
    '| buckets | DS1 read | maps: query | maps: partition moves | maps (wall) | bucket joins (wall) | rest (plan, publish) | partitions | peak RSS - limit |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...runs
      .filter((r) => r.result.shuffle)
      .map((r) => {
        const s = r.result.shuffle!;
        return (
          `| ${r.result.shards} | ${(s.ds1BytesRead / data.ds1ParquetBytes).toFixed(2)}x | ${secs(s.mapQueryMs)} | ${secs(s.partitionMoveMs)} | ` +
          `${secs(s.mapMs)} | ${secs(s.reduceMs)} | ${secs(r.result.durationMs - s.mapMs - s.reduceMs)} | ` +
          `${s.partitionFiles} files, ${gb(s.partitionBytes)} | ${gb(r.peakRssBytes - parseByteSize(LIMIT))} |`
        );
      }),
    '',
    `Every pipeline output had the baseline's row count and order-free checksum. Match rate ${(runs[0]?.result.matchRate ?? 0).toFixed(4)}; ` +
      `bytes read ${gb(runs[0]?.result.bytesRead ?? 0)}, written ${gb(runs[0]?.result.bytesWritten ?? 0)}. ` +
      'Pipeline time is wall-clock from start to result on a separate worker process (planning, the joins or the shuffle, ' +
      'publishing with checksums). Peak RSS is the process high-water mark (VmHWM).',
    '<!-- identity-join:end -->',
  ];
  const section = lines.join('\n');
  const file = path.join(repo, 'BENCHMARKS.md');
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /<!-- identity-join:start -->[\s\S]*<!-- identity-join:end -->/;
  const next = re.test(current) ? current.replace(re, section) : `${current.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(file, next);
  fs.mkdirSync(path.join(repo, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(repo, 'bench', 'results', 'identity-join.json'),
    JSON.stringify({ when, data, baseline, rows, runs, load }, null, 2),
  );
  log(`wrote BENCHMARKS.md and bench/results/identity-join.json`);
}

await main();
