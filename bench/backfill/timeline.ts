// Where a run's time goes (the backfill and single-task notes in BENCHMARKS.md): a dev server and
// one worker process; BENCH_RUNS session-ranking runs one after another on the backfill bench's
// data (the last one's history printed as a timeline: each activity scheduled / started /
// completed and the workflow tasks between), then BENCH_PARALLEL_RUNS more dates two at a time
// with the CPU each process used (worker, server, this client), and each run's duration.
// BENCH_MODE=backfill first runs the same dates through `daybreak backfill` and prints the
// parent's and one child's timelines. BENCH_WORKER_NODE_ARGS passes node flags to the worker
// (`--cpu-prof --cpu-prof-dir=/tmp/prof` for a CPU profile).
//
//   npm run bench:timeline                     (BENCH_ROWS, BENCH_RUNS, BENCH_PARALLEL_RUNS)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { planFor, startBackfill } from '../../cli/commands/backfill.js';
import { loadConfig } from '../../lib/config.js';
import { waitForRun } from '../../lib/runs.js';
import { connectClient } from '../../lib/temporal.js';
import { startRun } from '../../pipelines/runs.js';
import { ensureSessionData, log, procStats, startBenchWorker } from '../common/harness.js';
import { eventMs as ms, historyOf, printTimeline } from '../common/timeline.js';

const env = process.env;
const ROWS = Number(env.BENCH_ROWS ?? 2_000_000);
const RUNS = Number(env.BENCH_RUNS ?? 4);
const PARALLEL_RUNS = Number(env.BENCH_PARALLEL_RUNS ?? 30);
const PIPELINE = 'session-ranking';
const base = loadConfig();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-timeline-'));

/** The dates of a block: `count` days from `year`-01-01. */
const datesFrom = (year: number, count: number) =>
  Array.from({ length: count }, (_, i) => new Date(Date.UTC(year, 0, 1 + i)).toISOString().slice(0, 10));

async function durations(client: Client, dates: string[]): Promise<string> {
  const out: string[] = [];
  for (const d of dates) {
    const h = await historyOf(client, `${PIPELINE}/${d}`);
    out.push((ms(h.at(-1)!.eventTime) - ms(h[0]!.eventTime)).toFixed(0));
  }
  return out.join(' ');
}

async function main() {
  const data = await ensureSessionData(base.DAYBREAK_CACHE_DIR, {
    rows: ROWS,
    users: ROWS / 10,
    seed: 1,
    year: 2025,
  });
  const root = path.join(work, 'root');
  fs.mkdirSync(root, { recursive: true });
  fs.symlinkSync(data, path.join(root, 'raw'));
  const bench = await startBenchWorker(
    base,
    work,
    {
      DAYBREAK_TASK_QUEUE: 'bench-timeline',
      DAYBREAK_DATA_ROOT: root,
      DAYBREAK_STATE_DIR: path.join(work, 'state'),
    },
    env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean),
  );
  const config = loadConfig(bench.env);
  const client = await connectClient(config);
  const run = async (runDate: string) =>
    waitForRun(await startRun({ client, config, pipeline: PIPELINE, runDate, rawParams: {} }));
  try {
    const alone = datesFrom(2070, RUNS);
    for (const d of alone) {
      const t0 = performance.now();
      await run(d);
      log(`run ${d}: ${(performance.now() - t0).toFixed(0)} ms`);
    }
    printTimeline('R', await historyOf(client, `${PIPELINE}/${alone.at(-1)}`));

    const pids = { worker: bench.worker.pid!, server: bench.server.process.pid!, bench: process.pid };
    const cpu = () => Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, procStats(p).cpuMs]));
    const used = (before: Record<string, number>) =>
      JSON.stringify(
        Object.fromEntries(Object.entries(cpu()).map(([k, v]) => [k, Math.round(v - before[k]!)])),
      );

    if (env.BENCH_MODE === 'backfill') {
      const dates = datesFrom(2072, PARALLEL_RUNS);
      const request = { from: dates[0]!, to: dates.at(-1)!, reprocess: 'missing' as const, maxParallel: 2 };
      const plan = await planFor(PIPELINE, { ...request, downstream: false, param: {} }, config, client);
      const [t0, before] = [performance.now(), cpu()];
      const handle = await startBackfill(client, config, PIPELINE, request, plan);
      await handle.result();
      log(`backfill: wall ${(performance.now() - t0).toFixed(0)} ms; CPU ms ${used(before)}`);
      printTimeline('B', ((await handle.fetchHistory()).events ?? []).slice(0, 60));
      printTimeline('C', await historyOf(client, `${PIPELINE}/${dates[Math.floor(dates.length / 2)]}`));
      log(`backfill children's durations (ms): ${await durations(client, dates)}`);
    }

    const dates = datesFrom(2071, PARALLEL_RUNS);
    const queue = [...dates];
    const [t0, before] = [performance.now(), cpu()];
    const lane = async () => {
      for (let d = queue.shift(); d; d = queue.shift()) await run(d);
    };
    await Promise.all([lane(), lane()]);
    log(`runs two at a time: wall ${(performance.now() - t0).toFixed(0)} ms; CPU ms ${used(before)}`);
    log(`their durations (ms): ${await durations(client, dates)}`);
  } finally {
    await client.connection.close();
    await bench.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
