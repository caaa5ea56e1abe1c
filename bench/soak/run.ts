// npm run soak — issue #14's soak: the daily DAG (every pipeline, feature-sync included) run round
// after round for N minutes while a driver injects faults at random moments: SIGKILL of a worker
// (replaced by one with the same identity), a Temporal dev server restart, a Redis restart, a GCS
// emulator restart (session-ranking publishes to gs://). After each round every published
// manifest under the data root and in the bucket is re-verified from its bytes (each listed file's
// size, SHA-256 and Parquet rows; nothing of a run left unlisted) and its row total compared with
// the undisturbed first round. Prints its table; it feeds docs/reliability.md "Soak".
//
//   flock /work/bench.lock npm run soak -- [--minutes 15] [--seed 1]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { freePort, startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { startFakeGcsServer, type FakeGcsServer } from '../../devstack/fake-gcs.js';
import { provision } from '../../devstack/provision.js';
import { startLocalRedis } from '../../devstack/redis-server.js';
import { ensureSampleData } from '../../devstack/sample-data.js';
import { loadConfig } from '../../lib/config.js';
import { DAILY_PIPELINE, type DailyResult } from '../../lib/contracts/daily.js';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import { runSearchAttributes } from '../../lib/contracts/search-attributes.js';
import { registerConfiguredGcs } from '../../lib/storage/gcs.js';
import { storageFor } from '../../lib/storage/index.js';
import { MANIFEST_NAME } from '../../lib/storage/manifest.js';
import { verifyOutput } from '../../lib/storage/verify.js';
import { connectClient } from '../../lib/temporal.js';
import { BUILT_IN_PIPELINES, PIPELINES } from '../../pipelines/index.js';
import { compileSchedule } from '../../schedules/compile.js';
import { SCHEDULES } from '../../schedules/definitions/index.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '15' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
  },
});
const MINUTES = Number(args.minutes);
const REPO = path.resolve(import.meta.dirname, '..', '..');
const RUN_DATE = '2025-06-01';
const BUCKET = 'soak';
const log = (s: string): void =>
  void process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// A small deterministic random source, so a seed repeats a soak's fault schedule.
let state = Number(args.seed) >>> 0 || 1;
const random = () => {
  state = (state * 1664525 + 1013904223) >>> 0;
  return state / 2 ** 32;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'daybreak-soak-'));
const dataRoot = path.join(work, 'data');
const base = loadConfig();
const tools = await provision({
  tools: ['temporal', 'redis-server', 'fake-gcs-server'],
  install: base.DAYBREAK_PROVISION,
  cacheDir: base.DAYBREAK_CACHE_DIR,
  temporalCli: base.TEMPORAL_CLI,
  log,
});

// Services that are restarted keep their state and port, as their production counterparts do.
const temporalPort = await freePort();
const startTemporal = () =>
  startDevServer({
    binary: tools.temporal,
    dbFile: path.join(work, 'temporal.db'),
    port: temporalPort,
    headless: true,
  });
let temporal: DevServer = await startTemporal();
const redis = await startLocalRedis({ binary: tools['redis-server'], dir: path.join(work, 'redis') });
const gcsPort = await freePort();
const startGcs = () =>
  startFakeGcsServer({
    binary: tools['fake-gcs-server'],
    port: gcsPort,
    filesystemRoot: path.join(work, 'gcs'),
  });
let gcs: FakeGcsServer = await startGcs();
await fetch(`${gcs.url}/storage/v1/b?project=soak`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ name: BUCKET }),
});

const env: Record<string, string> = {
  TEMPORAL_ADDRESS: temporal.address,
  DAYBREAK_TASK_QUEUE: 'soak',
  DAYBREAK_DATA_ROOT: dataRoot,
  DAYBREAK_STATE_DIR: path.join(work, 'state'),
  DAYBREAK_SCRATCH_DIR: path.join(work, 'scratch'),
  REDIS_URL: redis.url,
  STORAGE_EMULATOR_HOST: gcs.url,
  DAYBREAK_DUCKDB_THREADS: '1',
  METRICS_PORT: '0',
  TEMPORAL_METRICS_PORT: '0',
  DAYBREAK_LOG_LEVEL: 'WARN',
};
const config = loadConfig({ ...process.env, ...env });
registerConfiguredGcs(config);

// ---- workers: real `daybreak worker` processes
const workers = new Map<string, ChildProcess>();
function startWorker(identity: string): Promise<void> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'daybreak.js'), 'worker'], {
    env: { ...process.env, ...env, DAYBREAK_WORKER_IDENTITY: identity },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workers.set(identity, child);
  let output = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      output = (output + c.toString()).slice(-4000);
      if (output.includes(' polling ')) resolve();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`worker ${identity} exited (${signal ?? code}):\n${output}`)),
    );
  });
}
const identities = Array.from({ length: Number(args.workers) }, (_, i) => `soak-worker-${i + 1}`);
await Promise.all(identities.map(startWorker));
const client: Client = await connectClient(config);

// ---- faults
type Fault = 'worker-kill' | 'temporal-restart' | 'redis-restart' | 'gcs-restart';
const FAULTS: readonly Fault[] = ['worker-kill', 'temporal-restart', 'redis-restart', 'gcs-restart'];
const injected: Record<Fault, number> = {
  'worker-kill': 0,
  'temporal-restart': 0,
  'redis-restart': 0,
  'gcs-restart': 0,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inject(fault: Fault): Promise<void> {
  injected[fault]++;
  log(`fault: ${fault}`);
  if (fault === 'worker-kill') {
    const identity = pick(identities);
    const child = workers.get(identity)!;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await sleep(1_000);
    await startWorker(identity); // the same identity, as a restarted container
  } else if (fault === 'temporal-restart') {
    await temporal.stop();
    await sleep(2_000);
    temporal = await startTemporal();
  } else if (fault === 'redis-restart') {
    await redis.stop();
    await sleep(3_000);
    await redis.start();
  } else {
    await gcs.stop();
    await sleep(2_000);
    gcs = await startGcs();
  }
}

/** Faults at random moments (every 10-40 s) until `until` resolves. */
async function injectFaults(until: Promise<unknown>): Promise<void> {
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    await Promise.race([sleep(10_000 + random() * 30_000), until]);
    if (!done) await inject(pick(FAULTS)).catch((err: unknown) => log(`fault failed: ${String(err)}`));
  }
}

// ---- rounds
const daily = SCHEDULES.find((s) => s.name === DAILY_PIPELINE)!;
const schedule = {
  ...daily,
  params: {
    ...daily.params,
    'session-ranking': { output: `gs://${BUCKET}/curated/session-ranking/dt={date}` },
  },
};
const compiled = compileSchedule(schedule, { config, pipelines: BUILT_IN_PIPELINES });
const datasets = PIPELINES.names()
  .flatMap((name) => Object.values(PIPELINES.get(name).inputs))
  .filter((d, i, all) => d.producer === undefined && all.findIndex((e) => e.name === d.name) === i);
await ensureSampleData({ dataRoot, runDate: RUN_DATE, datasets, log });

/** Follows a run by polling (a result long-poll does not survive a server restart). */
async function finished(workflowId: string): Promise<DailyResult> {
  for (;;) {
    try {
      const handle = client.workflow.getHandle(workflowId);
      const { status } = await handle.describe();
      if (status.name === 'COMPLETED') return (await handle.result()) as DailyResult;
      if (status.name !== 'RUNNING') {
        const failure = { type: 'DailyFailed', message: `${workflowId} ended ${status.name}` };
        return {
          runDate: RUN_DATE,
          dateSource: 'input',
          outcomes: [{ pipeline: DAILY_PIPELINE, workflowId, status: 'failed', error: failure }],
          failed: [DAILY_PIPELINE],
        };
      }
    } catch {
      // the server is restarting; the client reconnects
    }
    await sleep(2_000);
  }
}

async function runRound(): Promise<DailyResult> {
  const workflowId = runWorkflowId(DAILY_PIPELINE, RUN_DATE);
  const input = { ...compiled.options.action.args![0]!, runDate: RUN_DATE, rerun: 'all' as const };
  for (;;) {
    try {
      await client.workflow.start(DAILY_PIPELINE, {
        taskQueue: env.DAYBREAK_TASK_QUEUE!,
        workflowId,
        args: [input],
        memo: compiled.options.action.memo,
        typedSearchAttributes: runSearchAttributes(DAILY_PIPELINE, RUN_DATE),
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      break;
    } catch (err) {
      log(`start failed (retrying): ${String(err)}`);
      await sleep(2_000);
    }
  }
  return finished(workflowId);
}

/** Every published manifest: under the data root (local) and in the bucket. */
async function publishedPrefixes(): Promise<string[]> {
  const local = fs
    .readdirSync(dataRoot, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name === MANIFEST_NAME)
    .map((e) => e.parentPath);
  const remote = (await storageFor(`gs://${BUCKET}/`).list(`gs://${BUCKET}/`))
    .filter((o) => o.uri.endsWith(`/${MANIFEST_NAME}`))
    .map((o) => o.uri.slice(0, -MANIFEST_NAME.length - 1));
  return [...local, ...remote].sort();
}

interface RoundFigures {
  round: number;
  faults: number;
  branches: string;
  outputs: number;
  violations: string[];
}
const rounds: RoundFigures[] = [];
const reference = new Map<string, number>(); // rows per output in the undisturbed round
const verifyScratch = path.join(work, 'verify');
fs.mkdirSync(verifyScratch, { recursive: true });
const deadline = Date.now() + MINUTES * 60_000;

for (let round = 0; round === 0 || Date.now() < deadline; round++) {
  const before = Object.values(injected).reduce((a, b) => a + b, 0);
  const result = runRound();
  // Round 0 is undisturbed: the reference every later round is compared with.
  if (round > 0) await injectFaults(result);
  const outcome = await result;
  const violations: string[] = [];
  for (const o of outcome.outcomes)
    if (o.status !== 'completed')
      violations.push(`${o.workflowId} ${o.status}: ${o.error?.message ?? o.reason ?? ''}`);
  const prefixes = await publishedPrefixes();
  for (const prefix of prefixes) {
    const verified = await verifyOutput(prefix, verifyScratch, { settled: true });
    violations.push(...verified.problems);
    const rows = verified.manifest?.totals.rows;
    if (rows === undefined) continue;
    if (round === 0) reference.set(prefix, rows);
    else if (reference.get(prefix) !== rows)
      violations.push(`${prefix}: ${rows} rows; the undisturbed round published ${reference.get(prefix)}`);
  }
  const figures: RoundFigures = {
    round,
    faults: Object.values(injected).reduce((a, b) => a + b, 0) - before,
    branches: outcome.outcomes.map((o) => `${o.pipeline}:${o.status}`).join(' '),
    outputs: prefixes.length,
    violations,
  };
  rounds.push(figures);
  log(
    `round ${round}: ${figures.faults} faults, ${prefixes.length} outputs verified, ${violations.length} violations`,
  );
  for (const v of violations) log(`  VIOLATION ${v}`);
}

// ---- report
const total = (f: (r: RoundFigures) => number) => rounds.reduce((s, r) => s + f(r), 0);
const lines = [
  `Soak (npm run soak -- --minutes ${MINUTES} --seed ${args.seed}): the daily DAG, ${identities.length} workers; feeds docs/reliability.md "Soak"`,
  '',
  '| rounds (1 undisturbed) | worker kills | Temporal restarts | Redis restarts | GCS emulator restarts | outputs verified | violations |',
  '|---|---|---|---|---|---|---|',
  `| ${rounds.length} | ${injected['worker-kill']} | ${injected['temporal-restart']} | ${injected['redis-restart']} | ${injected['gcs-restart']} | ${total((r) => r.outputs)} | ${total((r) => r.violations.length)} |`,
];
process.stdout.write(`${lines.join('\n')}\n`);
for (const r of rounds.filter((x) => x.violations.length))
  process.stdout.write(`round ${r.round}:\n${r.violations.map((v) => `  ${v}`).join('\n')}\n`);

for (const child of workers.values()) child.kill('SIGTERM');
await sleep(5_000);
for (const child of workers.values()) if (child.exitCode === null) child.kill('SIGKILL');
await client.connection.close();
await Promise.all([temporal.stop(), redis.stop(), gcs.stop()]);
fs.rmSync(work, { recursive: true, force: true });
process.exit(total((r) => r.violations.length) === 0 ? 0 : 1);
