// Benchmark: a `mode: map` SQL pipeline (pipelines/*.sql through the generic workflow, a worker
// process already started and warmed up) against the same query run by hand in DuckDB on the same
// files, in the same script. Feeds BENCHMARKS.md "## sql-pipeline" (issue 16: within 1.15x).
//
//   flock /work/bench.lock npm run bench:sql-pipeline
//   BENCH_ROWS=2000000 BENCH_REPEAT=1 BENCH_NO_WRITE=1 npm run bench:sql-pipeline   # a quick try
//   BENCH_TIMELINE=1 ...   also prints the last pipeline run's history as a timeline
//
// Data (session-ranking's generator, 50 M sessions by default) is generated once into
// $DAYBREAK_CACHE_DIR/bench and reused.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { SqlPipelineResult } from '../../activities/sql-pipeline/types.js';
import { loadConfig } from '../../lib/config.js';
import { sqlFileList } from '../../lib/duckdb.js';
import { waitForRun } from '../../lib/runs.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { connectClient } from '../../lib/temporal.js';
import { startRun } from '../../pipelines/runs.js';
import { loadCatalogue } from '../../pipelines/sql.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import {
  appendBenchmarkSection,
  ensureSessionData,
  log,
  median,
  procStats,
  resetPeak,
  startBenchWorker,
} from '../common/harness.js';
import { historyOf, printTimeline } from '../common/timeline.js';
import { PIPELINE_FILE, SUMMARY_SQL } from './query.js';

const env = process.env;
const ROWS = Number(env.BENCH_ROWS ?? 50_000_000);
const USERS = Number(env.BENCH_USERS ?? Math.max(1, Math.round(ROWS / 10)));
const SEED = 1;
const YEAR = 2025;
const REPEAT = Number(env.BENCH_REPEAT ?? 3);
const CORES = os.availableParallelism();
const TASK_THREADS = env.BENCH_TASK_THREADS ?? String(CORES);
const CONCURRENCY = env.BENCH_CONCURRENCY ?? String(CORES);
const REPO = path.resolve(import.meta.dirname, '..', '..');
const config = loadConfig();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sql-'));

interface Measure {
  ms: number;
  cpuMs: number;
  peakRssMb: number;
  summary: Record<string, unknown>;
}

async function summarize(files: string[]): Promise<Record<string, unknown>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(SUMMARY_SQL(sqlFileList(files)))).getRowObjectsJson()[0]!;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

function runBaseline(activityDir: string, outDir: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const args = [
      '--import',
      'tsx',
      path.join(REPO, 'bench/sql-pipeline/baseline.ts'),
      activityDir,
      outDir,
      String(CORES),
    ];
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`baseline exited with ${code}`));
      const r = JSON.parse(out) as Omit<Measure, 'peakRssMb'> & { maxRssKb: number };
      resolve({ ...r, peakRssMb: r.maxRssKb / 1024 });
    });
  });
}

async function main(): Promise<void> {
  const dataDir = await ensureSessionData(config.DAYBREAK_CACHE_DIR, {
    rows: ROWS,
    users: USERS,
    seed: SEED,
    year: YEAR,
  });
  const activityDir = path.join(dataDir, 'user_activity');
  const pipelinesDir = path.join(work, 'pipelines');
  fs.mkdirSync(pipelinesDir);
  fs.writeFileSync(path.join(pipelinesDir, 'bench-sessions.sql'), PIPELINE_FILE);
  const bench = await startBenchWorker(config, work, {
    DAYBREAK_TASK_QUEUE: 'bench-sql-pipeline',
    DAYBREAK_DATA_ROOT: path.join(work, 'data'),
    DAYBREAK_PIPELINES_DIR: pipelinesDir,
    DAYBREAK_DUCKDB_THREADS: TASK_THREADS,
    DAYBREAK_MAX_CONCURRENT_ACTIVITIES: CONCURRENCY,
  });
  const { worker } = bench;
  const workerEnv = bench.env;
  const benchConfig = loadConfig(workerEnv);
  const { catalogue } = await loadCatalogue(benchConfig);
  const client = await connectClient(benchConfig);
  let runNo = 0;
  let last: SqlPipelineResult | undefined;
  let lastId = '';
  const pipeline = async (activity: string): Promise<Measure> => {
    resetPeak(worker.pid!); // each run reports its own peak RSS
    const before = procStats(worker.pid!);
    const output = path.join(work, `out-${++runNo}`);
    const t0 = performance.now();
    const handle = await startRun({
      client,
      config: benchConfig,
      catalogue,
      pipeline: 'bench-sessions',
      runDate: `2090-01-${String(runNo).padStart(2, '0')}`,
      rawParams: { activity, output },
    });
    last = await waitForRun<SqlPipelineResult>(handle);
    lastId = handle.workflowId;
    const ms = performance.now() - t0;
    const after = procStats(worker.pid!);
    const files = (await readManifest(output))!.files.map((f) => path.join(output, f.name));
    const summary = await summarize(files);
    fs.rmSync(output, { recursive: true, force: true });
    return { ms, cpuMs: after.cpuMs - before.cpuMs, peakRssMb: after.hwmKb / 1024, summary };
  };
  try {
    const small = path.join(work, 'warmup');
    await generateSessionRanking({ rows: 100_000, users: 10_000, seed: 1, out: small, year: YEAR });
    await pipeline(path.join(small, 'user_activity'));
    log('worker warm; measuring');
    const runs = { pipeline: [] as Measure[], baseline: [] as Measure[] };
    for (let i = 0; i < REPEAT; i++) {
      const out = path.join(work, `baseline-${i}`);
      const b = await runBaseline(activityDir, out);
      fs.rmSync(out, { recursive: true, force: true });
      const p = await pipeline(activityDir);
      if (JSON.stringify(p.summary) !== JSON.stringify(b.summary))
        throw new Error(
          `pipeline and baseline disagree: ${JSON.stringify(p.summary)} vs ${JSON.stringify(b.summary)}`,
        );
      runs.baseline.push(b);
      runs.pipeline.push(p);
      log(`round ${i + 1}: pipeline ${(p.ms / 1000).toFixed(2)} s, baseline ${(b.ms / 1000).toFixed(2)} s`);
    }
    report(runs, last!);
    // Where the last run's time went: each activity scheduled / started / completed.
    if (env.BENCH_TIMELINE === '1') printTimeline('P', await historyOf(client, lastId));
  } finally {
    await client.connection.close();
    await bench.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function report(runs: { pipeline: Measure[]; baseline: Measure[] }, result: SqlPipelineResult): void {
  const s = (xs: Measure[], k: 'ms' | 'cpuMs' | 'peakRssMb') => xs.map((x) => x[k]);
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (name: string, xs: Measure[]) =>
    `| ${name} | ${fmt(Math.min(...s(xs, 'ms')))} | ${fmt(median(s(xs, 'ms')))} | ${fmt(median(s(xs, 'cpuMs')))} | ${Math.round(Math.max(...s(xs, 'peakRssMb')))} MB |`;
  const ratio = (k: 'ms' | 'cpuMs') => (median(s(runs.pipeline, k)) / median(s(runs.baseline, k))).toFixed(2);
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const text = [
    `### Run of ${new Date().toISOString().slice(0, 16)}Z`,
    '',
    `Data: ${ROWS.toLocaleString('en-US')} sessions (session-ranking's generator, seed ${SEED}; ${result.inputRows} rows in, ${result.rowsOut} out, ${(result.bytesRead / 2 ** 20).toFixed(0)} MB read). ` +
      `Pipeline: \`mode: map\`, ${result.tasks} task(s) of ~512 MB, one worker process with ${CONCURRENCY} concurrent activities, DUCKDB_THREADS=${TASK_THREADS}; ` +
      `baseline: the same query as one DuckDB COPY with ${CORES} threads, same output format. ${CORES} cores, ${REPEAT} rounds (baseline then pipeline). Load average at the end: ${load}.`,
    '',
    '| | wall min | wall median | CPU median | peak RSS |',
    '| --- | --- | --- | --- | --- |',
    row('SQL pipeline (through Temporal, worker process)', runs.pipeline),
    row('baseline: the query by hand in DuckDB', runs.baseline),
    '',
    `Pipeline / baseline (same rows and checksums): wall ${ratio('ms')}x median, CPU ${ratio('cpuMs')}x.`,
    '',
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (env.BENCH_NO_WRITE !== '1') appendSection(text);
}

/** Appends the run under the sql-pipeline section of BENCHMARKS.md (created when missing). */
function appendSection(text: string): void {
  appendBenchmarkSection(
    '## sql-pipeline',
    `Command: \`flock /work/bench.lock npm run bench:sql-pipeline\` (env: BENCH_ROWS, BENCH_REPEAT, BENCH_TASK_THREADS, BENCH_CONCURRENCY, BENCH_NO_WRITE=1). A \`mode: map\` SQL pipeline against the same query by hand in DuckDB; issue 16 asks for at most 1.15x.`,
    text,
  );
}

await main();
