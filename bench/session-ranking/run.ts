// Benchmark: session-ranking through Temporal (sharded, a worker process already started and
// warmed up) against ONE hand-written DuckDB query over the same files, in the same script.
// Reports wall time, CPU time and peak RSS of each, the ratios, and appends them to BENCHMARKS.md.
//
//   npm run bench:session-ranking
//   BENCH_ROWS=50000000 BENCH_USERS=5000000 BENCH_REPEAT=3 npm run bench:session-ranking
//
// Data is generated once into $DAYBREAK_CACHE_DIR/bench (outside the repo) and reused.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { loadConfig } from '../../lib/config.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import { connectClient } from '../../lib/temporal.js';
import { MONTHS, type SessionRankingResult } from '../../activities/session-ranking/types.js';
import {
  appendBenchmarkSection,
  ensureSessionData,
  log,
  median,
  procStats,
  resetPeak,
  startBenchWorker,
} from '../common/harness.js';

const env = process.env;
const ROWS = Number(env.BENCH_ROWS ?? 50_000_000);
const USERS = Number(env.BENCH_USERS ?? 5_000_000);
const SEED = Number(env.BENCH_SEED ?? 1);
const YEAR = 2025;
const REPEAT = Number(env.BENCH_REPEAT ?? 3);
const CORES = os.availableParallelism();
/** DuckDB threads per activity and concurrent activities of the worker; threads of the baseline. */
const TASK_THREADS = env.BENCH_TASK_THREADS ?? String(CORES);
const CONCURRENCY = env.BENCH_CONCURRENCY ?? String(CORES);
const SHARDS = env.BENCH_SHARDS; // default: the pipeline's automatic choice
const REPO = path.resolve(import.meta.dirname, '..', '..');
const config = loadConfig();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sr-'));

interface Measure {
  ms: number;
  cpuMs: number;
  peakRssMb: number;
}

function runBaseline(
  dataDir: string,
  variant: 'full' | 'ranking',
): Promise<
  Measure & { ranking: Record<number, { id: string }[]>; inputRows?: number; rejectedRows?: number }
> {
  return new Promise((resolve, reject) => {
    const args = [
      '--import',
      'tsx',
      path.join(REPO, 'bench/session-ranking/baseline.ts'),
      path.join(dataDir, 'user_activity'),
      path.join(dataDir, 'user_profile'),
      String(YEAR),
      '10',
      String(CORES),
      variant,
    ];
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`baseline exited with ${code}`));
      const r = JSON.parse(out) as {
        ms: number;
        cpuMs: number;
        maxRssKb: number;
        ranking: Record<number, { id: string }[]>;
        inputRows?: number;
        rejectedRows?: number;
      };
      resolve({ ...r, peakRssMb: r.maxRssKb / 1024 });
    });
  });
}

let lastPhases = '';

/** Wall time of each activity type in a run (first scheduled to last completed), from its history. */
async function phaseTimes(handle: {
  fetchHistory(): Promise<{ events?: unknown[] | null }>;
}): Promise<string> {
  type Ev = {
    eventId?: { toString(): string };
    eventTime?: { seconds?: { toString(): string } | null; nanos?: number | null } | null;
    activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
    activityTaskCompletedEventAttributes?: { scheduledEventId?: { toString(): string } | null } | null;
  };
  const events = ((await handle.fetchHistory()).events ?? []) as Ev[];
  const at = (e: Ev) =>
    Number(e.eventTime?.seconds?.toString() ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const typeOf = new Map<string, string>();
  const span = new Map<string, { from: number; to: number; n: number }>();
  for (const e of events) {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) {
      typeOf.set(String(e.eventId), name);
      const cur = span.get(name) ?? { from: at(e), to: at(e), n: 0 };
      span.set(name, { ...cur, from: Math.min(cur.from, at(e)), n: cur.n + 1 });
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const t = typeOf.get(String(done.scheduledEventId))!;
      const cur = span.get(t)!;
      cur.to = Math.max(cur.to, at(e));
    }
  }
  return [...span.entries()]
    .map(([t, v]) => `${t} x${v.n} ${((v.to - v.from) / 1000).toFixed(2)} s`)
    .join(', ');
}

const min = (xs: number[]) => Math.min(...xs);

async function main(): Promise<void> {
  const dataDir = await ensureSessionData(config.DAYBREAK_CACHE_DIR, {
    rows: ROWS,
    users: USERS,
    seed: SEED,
    year: YEAR,
  });
  const bench = await startBenchWorker(config, work, {
    DAYBREAK_TASK_QUEUE: 'bench-session-ranking',
    DAYBREAK_DUCKDB_THREADS: TASK_THREADS,
    DAYBREAK_MAX_CONCURRENT_ACTIVITIES: CONCURRENCY,
  });
  const { worker } = bench;
  const workerEnv = bench.env;
  const benchConfig = loadConfig({ ...workerEnv, DAYBREAK_DATA_ROOT: path.join(work, 'data') });
  const client = await connectClient(benchConfig);
  let runNo = 0;
  const pipeline = async (
    activity: string,
    profile: string,
  ): Promise<Measure & { result: SessionRankingResult }> => {
    resetPeak(worker.pid!);
    const before = procStats(worker.pid!);
    const t0 = performance.now();
    const handle = await startRun({
      client,
      config: benchConfig,
      pipeline: 'session-ranking',
      runDate: `2090-01-${String(++runNo).padStart(2, '0')}`,
      rawParams: {
        activity,
        profile,
        year: String(YEAR),
        output: path.join(work, `out-${runNo}`),
        ...(SHARDS ? { shards: SHARDS } : {}),
      },
    });
    const result = await waitForRun<SessionRankingResult>(handle);
    const ms = performance.now() - t0;
    const after = procStats(worker.pid!);
    lastPhases = await phaseTimes(handle);
    return { ms, cpuMs: after.cpuMs - before.cpuMs, peakRssMb: after.hwmKb / 1024, result };
  };

  try {
    // Warm-up: the worker bundles workflows, loads DuckDB and answers a first small run.
    const small = path.join(work, 'warmup');
    await generateSessionRanking({ rows: 100_000, users: 10_000, seed: 1, out: small, year: YEAR });
    await pipeline(path.join(small, 'user_activity'), path.join(small, 'user_profile'));
    log('worker warm; measuring');

    const runs: { pipeline: Measure[]; full: Measure[]; ranking: Measure[] } = {
      pipeline: [],
      full: [],
      ranking: [],
    };
    let lastResult: SessionRankingResult | undefined;
    for (let i = 0; i < REPEAT; i++) {
      const b = await runBaseline(dataDir, 'full');
      runs.full.push(b);
      const p = await pipeline(path.join(dataDir, 'user_activity'), path.join(dataDir, 'user_profile'));
      runs.pipeline.push(p);
      lastResult = p.result;
      log(`pipeline phases: ${lastPhases}`);
      const r = await runBaseline(dataDir, 'ranking');
      runs.ranking.push(r);
      // Same answer, or the timing means nothing.
      for (const [i, m] of MONTHS.entries()) {
        const ids = (b.ranking[i + 1] ?? []).map((x) => x.id);
        if (JSON.stringify(ids) !== JSON.stringify(p.result.ranking[m]))
          throw new Error(`pipeline and baseline disagree on ${m}: ${p.result.ranking[m]} vs ${ids}`);
      }
      if (b.inputRows !== p.result.inputRows || b.rejectedRows !== p.result.rejectedRows)
        throw new Error(
          `row counts disagree: ${p.result.inputRows}/${p.result.rejectedRows} vs ${b.inputRows}/${b.rejectedRows}`,
        );
      log(
        `round ${i + 1}: pipeline ${(p.ms / 1000).toFixed(2)} s (cpu ${(p.cpuMs / 1000).toFixed(2)} s), baseline ${(b.ms / 1000).toFixed(2)} s (cpu ${(b.cpuMs / 1000).toFixed(2)} s), ranking-only ${(r.ms / 1000).toFixed(2)} s`,
      );
    }
    report(runs, lastResult!);
  } finally {
    await client.connection.close();
    await bench.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function report(
  runs: Record<'pipeline' | 'full' | 'ranking', Measure[]>,
  result: SessionRankingResult,
): void {
  const s = (xs: Measure[], k: keyof Measure) => xs.map((x) => x[k]);
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (name: string, xs: Measure[]) =>
    `| ${name} | ${fmt(min(s(xs, 'ms')))} | ${fmt(median(s(xs, 'ms')))} | ${fmt(median(s(xs, 'cpuMs')))} | ${Math.round(Math.max(...s(xs, 'peakRssMb')))} MB |`;
  const ratio = (a: Measure[], b: Measure[], k: keyof Measure) =>
    (median(s(a, k)) / median(s(b, k))).toFixed(2);
  const ratioMin = (a: Measure[], b: Measure[]) => (min(s(a, 'ms')) / min(s(b, 'ms'))).toFixed(2);
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const lines = [
    `### Run of ${new Date().toISOString().slice(0, 16)}Z`,
    '',
    `Data: ${ROWS.toLocaleString('en-US')} sessions / ${USERS.toLocaleString('en-US')} users (seed ${SEED}, ${result.inputRows} rows read, ${result.rejectedRows} rejected), year ${YEAR}, top 10. ` +
      `Pipeline: ${result.shards} shards, one worker process with ${CONCURRENCY} concurrent activities, DUCKDB_THREADS=${TASK_THREADS} ` +
      `(a phase's tasks share those threads, at most ${CONCURRENCY} at once); baseline: one query, ${CORES} threads. ` +
      `${CORES} cores, ${REPEAT} rounds (baseline, pipeline, ranking-only baseline, interleaved). Load average at the end: ${load}.`,
    '',
    '| | wall min | wall median | CPU median | peak RSS |',
    '| --- | --- | --- | --- | --- |',
    row('pipeline (through Temporal, worker process)', runs.pipeline),
    row('baseline: one query, ranking + row counts', runs.full),
    row('baseline: one query, ranking only', runs.ranking),
    '',
    `Phases of the last pipeline run (first scheduled to last completed): ${lastPhases}.`,
    '',
    `Pipeline / baseline (same output): wall ${ratio(runs.pipeline, runs.full, 'ms')}x median, ${ratioMin(runs.pipeline, runs.full)}x best; CPU ${ratio(runs.pipeline, runs.full, 'cpuMs')}x. ` +
      `Against the ranking-only query: wall ${ratio(runs.pipeline, runs.ranking, 'ms')}x median, CPU ${ratio(runs.pipeline, runs.ranking, 'cpuMs')}x.`,
    '',
  ];
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  if (env.BENCH_NO_WRITE !== '1') appendSection(text);
}

/** Appends the run under the session-ranking section of BENCHMARKS.md (created when missing). */
function appendSection(text: string): void {
  appendBenchmarkSection(
    '## session-ranking',
    `Command: \`npm run bench:session-ranking\` (env: BENCH_ROWS, BENCH_USERS, BENCH_REPEAT, BENCH_SHARDS, BENCH_TASK_THREADS, BENCH_CONCURRENCY).`,
    text,
  );
}

await main();
