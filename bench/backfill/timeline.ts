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
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planFor, startBackfill } from '../../cli/commands/backfill.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { startDevServer } from '../../devstack/dev-server.js';
import { findOrBuildTemporalCli } from '../../devstack/temporal-cli.js';
import { loadConfig } from '../../lib/config.js';
import { waitForRun } from '../../lib/runs.js';
import { connectClient } from '../../lib/temporal.js';
import { startRun } from '../../pipelines/runs.js';
import { writeWorkflowBundle } from '../../workers/bundle.js';

const env = process.env;
const ROWS = Number(env.BENCH_ROWS ?? 2_000_000);
const USERS = ROWS / 10;
const RUNS = Number(env.BENCH_RUNS ?? 4);
const PIPELINE = env.BENCH_PIPELINE ?? 'session-ranking';
const REPO = path.resolve(import.meta.dirname, '..', '..');
const base = loadConfig();
const dataDir = path.join(base.DAYBREAK_CACHE_DIR, 'bench', `session-ranking-r${ROWS}-u${USERS}-s1-y2025`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-timeline-'));

const ms = (t: unknown) => {
  const ts = t as { seconds?: { toNumber(): number } | number; nanos?: number } | undefined;
  const s = typeof ts?.seconds === 'number' ? ts.seconds : (ts?.seconds?.toNumber() ?? 0);
  return s * 1000 + (ts?.nanos ?? 0) / 1e6;
};

async function main() {
  if (!fs.existsSync(path.join(dataDir, '_COMPLETE'))) {
    await generateSessionRanking({ rows: ROWS, users: USERS, seed: 1, out: dataDir, year: 2025 });
    fs.writeFileSync(path.join(dataDir, '_COMPLETE'), '{}');
  }
  const binary = await findOrBuildTemporalCli({
    explicitPath: base.TEMPORAL_CLI,
    cacheDir: base.DAYBREAK_CACHE_DIR,
  });
  const server = await startDevServer({ binary, headless: true, logFile: path.join(work, 'temporal.log') });
  const bundle = path.join(work, 'workflow-bundle.js');
  await writeWorkflowBundle(bundle);
  const root = path.join(work, 'root');
  fs.mkdirSync(root, { recursive: true });
  fs.symlinkSync(dataDir, path.join(root, 'raw'));
  const workerEnv = {
    ...env,
    DAYBREAK_WORKFLOW_BUNDLE: bundle,
    TEMPORAL_ADDRESS: server.address,
    DAYBREAK_TASK_QUEUE: 'bench-timeline',
    DAYBREAK_DATA_ROOT: root,
    DAYBREAK_SCRATCH_DIR: path.join(work, 'scratch'),
    DAYBREAK_STATE_DIR: path.join(work, 'state'),
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
  };
  const nodeArgs = env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const worker = spawn(process.execPath, [...nodeArgs, path.join(REPO, 'bin/daybreak.js'), 'worker'], {
    cwd: REPO,
    env: workerEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const config = loadConfig(workerEnv);
  const client = await connectClient(config);
  try {
    let last;
    for (let i = 0; i < RUNS; i++) {
      const runDate = `2070-01-${String(i + 1).padStart(2, '0')}`;
      const t0 = performance.now();
      last = await startRun({ client, config, pipeline: PIPELINE, runDate, rawParams: {} });
      await waitForRun(last);
      process.stderr.write(`run ${runDate}: ${(performance.now() - t0).toFixed(0)} ms\n`);
    }
    // Then PARALLEL lanes over PARALLEL_RUNS more dates, with each process's CPU over them.
    const cpu = (pid: number) => {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10; // ms, incl. children
    };
    const pids = { worker: worker.pid!, server: server.process.pid!, bench: process.pid };
    const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpu(p)]));
    if (env.BENCH_MODE === 'backfill') {
      const dates = Array.from({ length: Number(env.BENCH_PARALLEL_RUNS ?? 30) }, (_, i) =>
        new Date(Date.UTC(2072, 0, 1 + i)).toISOString().slice(0, 10),
      );
      const request = { from: dates[0]!, to: dates.at(-1)!, reprocess: 'missing' as const, maxParallel: 2 };
      const plan = await planFor(
        'session-ranking',
        { ...request, downstream: false, param: {} },
        config,
        client,
      );
      const b0 = performance.now();
      const handle = await startBackfill(client, config, 'session-ranking', request, plan);
      await handle.result();
      process.stderr.write(`backfill: wall ${(performance.now() - b0).toFixed(0)} ms\n`);
      const events = (await handle.fetchHistory()).events ?? [];
      const t0 = ms(events[0]!.eventTime);
      for (const e of events.slice(0, 60))
        console.log(`${(ms(e.eventTime) - t0).toFixed(0).padStart(6)} ms  B ${String(e.eventType)}`);
      const childDurations: number[] = [];
      for (const d of dates) {
        const h = (await client.workflow.getHandle(`session-ranking/${d}`).fetchHistory()).events ?? [];
        childDurations.push(ms(h.at(-1)!.eventTime) - ms(h[0]!.eventTime));
      }
      const child =
        (await client.workflow.getHandle(`session-ranking/${dates[15]}`).fetchHistory()).events ?? [];
      const c0 = ms(child[0]!.eventTime);
      for (const e of child)
        console.log(`${(ms(e.eventTime) - c0).toFixed(0).padStart(6)} ms  C ${String(e.eventType)}`);
      process.stderr.write(`child durations (ms): ${childDurations.map((x) => x.toFixed(0)).join(' ')}\n`);
    }
    const queue = Array.from({ length: Number(env.BENCH_PARALLEL_RUNS ?? 30) }, (_, i) =>
      new Date(Date.UTC(2071, 0, 1 + i)).toISOString().slice(0, 10),
    );
    const started = performance.now();
    const lane = async () => {
      for (let d = queue.shift(); d; d = queue.shift())
        await waitForRun(await startRun({ client, config, pipeline: PIPELINE, runDate: d, rawParams: {} }));
    };
    await Promise.all(Array.from({ length: Number(env.BENCH_PARALLEL ?? 2) }, lane));
    const wall = performance.now() - started;
    const used = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpu(p) - before[k]!]));
    process.stderr.write(`parallel runs: wall ${wall.toFixed(0)} ms; CPU ms ${JSON.stringify(used)}\n`);
    const direct: number[] = [];
    for (let i = 0; i < Number(env.BENCH_PARALLEL_RUNS ?? 30); i++) {
      const d = new Date(Date.UTC(2071, 0, 1 + i)).toISOString().slice(0, 10);
      const h = (await client.workflow.getHandle(`${PIPELINE}/${d}`).fetchHistory()).events ?? [];
      direct.push(ms(h.at(-1)!.eventTime) - ms(h[0]!.eventTime));
    }
    process.stderr.write(`direct run durations (ms): ${direct.map((x) => x.toFixed(0)).join(' ')}\n`);
    const history = await last!.fetchHistory();
    const events = history.events ?? [];
    const t0 = ms(events[0]!.eventTime);
    const names = new Map<string, string>();
    for (const e of events) {
      const at = (ms(e.eventTime) - t0).toFixed(0).padStart(6);
      const s = e.activityTaskScheduledEventAttributes;
      if (s) names.set(String(e.eventId), s.activityType?.name ?? '?');
      const st = e.activityTaskStartedEventAttributes;
      const c = e.activityTaskCompletedEventAttributes;
      const name = s
        ? `${s.activityType?.name} scheduled`
        : st
          ? `${names.get(String(st.scheduledEventId))} started`
          : c
            ? `${names.get(String(c.scheduledEventId))} completed`
            : '';
      console.log(`${at} ms  ${String(e.eventType).replace('EVENT_TYPE_', '')} ${name}`);
    }
  } finally {
    await client.connection.close();
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
