// npm run soak — issue #14's soak: the daily DAG (every pipeline, feature-sync included) run round
// after round for N minutes while a fault injector on its own clock (bench/soak/faults.ts, seeded)
// SIGKILLs random workers (and restarts them under the same identity), restarts the Temporal dev
// server, Redis and the GCS emulator (session-ranking publishes to gs://), fills the small disk
// (a tmpfs) identity-join publishes to once, and takes the SMTP server and the Slack receiver down
// for a while. After each round every published manifest under the data root and in the bucket is
// re-verified from its bytes (lib/storage/verify.ts: each listed file's size, SHA-256 and Parquet
// rows; nothing of a run left unlisted; retried while a service restarts) and its rows compared
// with the undisturbed first round. Once the faults stop and undelivered alerts were redelivered, a
// last clean round resolves what is open, and the alerts the SMTP sink and the Slack receiver got
// are accounted against the runs (bench/soak/alerts.ts). Prints its table; it feeds
// docs/reliability.md "Soak". Needs root (it mounts a tmpfs).
//
//   flock /work/bench.lock npm run soak -- [--minutes 15] [--seed 1] [--workers 2]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { freePort, startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { startFakeGcsServer, type FakeGcsServer } from '../../devstack/fake-gcs.js';
import { provision } from '../../devstack/provision.js';
import { startLocalRedis } from '../../devstack/redis-server.js';
import { ensureSampleData } from '../../devstack/sample-data.js';
import { loadConfig } from '../../lib/config.js';
import { DAILY_PIPELINE, type DailyResult } from '../../lib/contracts/daily.js';
import { rootCauseOf } from '../../lib/contracts/root-cause.js';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import { runSearchAttributes } from '../../lib/contracts/search-attributes.js';
import { registerConfiguredGcs } from '../../lib/storage/gcs.js';
import { storageFor } from '../../lib/storage/index.js';
import { MANIFEST_NAME, readManifest, type Manifest } from '../../lib/storage/manifest.js';
import { verifyOutput } from '../../lib/storage/verify.js';
import { connectClient } from '../../lib/temporal.js';
import { BUILT_IN_PIPELINES, PIPELINES } from '../../pipelines/index.js';
import { compileSchedule } from '../../schedules/compile.js';
import { SCHEDULES } from '../../schedules/definitions/index.js';
import { startSlackReceiver, type SlackReceiver } from '../../test/helpers/slack-receiver.js';
import { startSmtpSink, type SmtpSink } from '../../test/helpers/smtp-sink.js';
import { startWorkerProcess, type WorkerProcess } from '../../test/helpers/worker-process.js';
import { accountAlerts, CHANNELS, parseAlertText, parseEmail, type RunTruth } from './alerts.js';
import { lostAlertEvidence, type ChannelRequest } from './evidence.js';
import { countByKind, seededRandom, startFaultInjector, type FaultKind } from './faults.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '15' },
    seed: { type: 'string', default: '1' },
    workers: { type: 'string', default: '2' },
  },
});
const MINUTES = Number(args.minutes);
const RUN_DATE = '2025-06-01';
const BUCKET = 'soak';
/** The pipeline whose output lives on the small disk the full-disk fault fills (a DAG leaf). */
const SMALL_DISK_PIPELINE = 'identity-join';
// temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT
const TIMEOUT_TYPE_HEARTBEAT = 4;
const log = (s: string): void =>
  void process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const random = seededRandom(Number(args.seed));

/** Retries `fn` while a service it needs restarts (the soak's own faults), up to `timeoutMs`. */
async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${what}: still failing after ${attempt} attempts: ${String(err)}`, { cause: err });
      await sleep(Math.min(500 * attempt, 5_000));
    }
  }
}

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

// ---- services: restarted ones keep their state and port, as their production counterparts do
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
// The alert channels: what they got is kept across their outages.
const smtpPort = await freePort();
const startSmtp = () => startSmtpSink(smtpPort, { closeTimeoutMs: 100 });
const smtpSinks: SmtpSink[] = [await startSmtp()];
const slackPort = await freePort();
const slackReceivers: SlackReceiver[] = [await startSlackReceiver(slackPort)];
// The small disk: identity-join's output folder is a tmpfs.
const smallDisk = PIPELINES.get(SMALL_DISK_PIPELINE).output.location(dataRoot);
fs.mkdirSync(smallDisk, { recursive: true });
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', smallDisk]); // needs root
const filler = path.join(smallDisk, 'filler');

const env: Record<string, string> = {
  TEMPORAL_ADDRESS: temporal.address,
  DAYBREAK_TASK_QUEUE: 'soak',
  DAYBREAK_DATA_ROOT: dataRoot,
  DAYBREAK_STATE_DIR: path.join(work, 'state'),
  DAYBREAK_SCRATCH_DIR: path.join(work, 'scratch'),
  REDIS_URL: redis.url,
  STORAGE_EMULATOR_HOST: gcs.url,
  SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  ALERT_EMAIL_TO: 'oncall@soak.test',
  SLACK_WEBHOOK_URL: slackReceivers[0]!.url(),
  // Undelivered alerts come back within the soak: 5 s, doubling.
  ALERT_RETRY_FIRST_SECONDS: '5',
  DAYBREAK_DUCKDB_THREADS: '1',
  METRICS_PORT: '0',
  TEMPORAL_METRICS_PORT: '0',
  DAYBREAK_LOG_LEVEL: 'WARN',
};
const config = loadConfig({ ...process.env, ...env });
registerConfiguredGcs(config);

// ---- workers: real `daybreak worker` processes
const identities = Array.from({ length: Number(args.workers) }, (_, i) => `soak-worker-${i + 1}`);
const workers = new Map<string, WorkerProcess>();
const everyWorker: WorkerProcess[] = []; // for their logs at the end
const killing = new Set<string>(); // workers the soak stops itself: any other exit is a crash
const crashes: string[] = [];
// However the soak ends, nothing it started outlives it.
process.once('exit', () => {
  for (const w of workers.values()) w.child.kill('SIGKILL');
  temporal.process.kill('SIGKILL');
  gcs.process.kill('SIGKILL');
  redis.kill();
  try {
    execFileSync('umount', ['-l', smallDisk]);
  } catch {
    // already unmounted
  }
  fs.rmSync(work, { recursive: true, force: true });
});
/** Starts (or restarts) a worker, retrying while the dev server it connects to restarts. */
const startWorker = (identity: string): Promise<void> =>
  retrying(`start worker ${identity}`, async () => {
    const worker = await startWorkerProcess(identity, env);
    workers.set(identity, worker);
    everyWorker.push(worker);
    worker.child.once('exit', (code, signal) => {
      if (killing.has(identity) || workers.get(identity) !== worker) return;
      crashes.push(`${new Date().toISOString().slice(11, 19)} ${identity} exited (${signal ?? code})`);
      log(
        `worker ${identity} exited by itself (${signal ?? code}): restarting it\n${worker.output().slice(-2000)}`,
      );
      startWorker(identity).catch((err: unknown) => log(`restarting ${identity} failed: ${String(err)}`));
    });
  });
await Promise.all(identities.map(startWorker));
const client: Client = await connectClient(config);

// ---- faults
const FAULTS: FaultKind[] = [
  {
    name: 'worker-kill',
    weight: 4,
    async strike() {
      const identity = identities[Math.floor(random() * identities.length)]!;
      killing.add(identity);
      try {
        await workers.get(identity)!.kill();
        await sleep(1_000 + random() * 2_000);
        await startWorker(identity); // the same identity, as a restarted container
      } finally {
        killing.delete(identity);
      }
      return identity;
    },
  },
  {
    name: 'temporal-restart',
    async strike() {
      await temporal.stop();
      await sleep(2_000 + random() * 3_000);
      temporal = await startTemporal();
    },
  },
  {
    name: 'redis-restart',
    async strike() {
      await redis.stop();
      await sleep(2_000 + random() * 5_000);
      await redis.start();
    },
  },
  {
    name: 'gcs-restart',
    async strike() {
      await gcs.stop();
      await sleep(2_000 + random() * 3_000);
      gcs = await startGcs();
    },
  },
  {
    name: 'disk-full',
    once: true,
    async strike() {
      // Room for a third of the published output: a re-run's files sit beside the old ones until commit.
      const prefix = PIPELINES.get(SMALL_DISK_PIPELINE).output.uri(dataRoot, RUN_DATE);
      const published = (await readManifest(prefix))?.totals.bytes ?? 0;
      const stats = fs.statfsSync(smallDisk);
      const size = Math.max(0, stats.bavail * stats.bsize - Math.ceil(published / 3));
      const fd = fs.openSync(filler, 'w');
      const chunk = Buffer.alloc(16 << 20);
      try {
        for (let left = size; left > 0; left -= chunk.length)
          fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length));
      } finally {
        fs.closeSync(fd);
      }
      const heldMs = 60_000 + random() * 30_000;
      await sleep(heldMs);
      fs.rmSync(filler, { force: true });
      return `${SMALL_DISK_PIPELINE}'s disk full (${(published / 3 / 1e6).toFixed(1)} MB left) for ${Math.round(heldMs / 1000)}s`;
    },
  },
  {
    name: 'smtp-down',
    group: 'alert-channel',
    async strike() {
      await smtpSinks.at(-1)!.close();
      const downMs = 30_000 + random() * 30_000;
      await sleep(downMs);
      smtpSinks.push(await startSmtp());
      return `down ${Math.round(downMs / 1000)}s`;
    },
  },
  {
    name: 'slack-down',
    group: 'alert-channel',
    async strike() {
      await slackReceivers.at(-1)!.close();
      const downMs = 30_000 + random() * 30_000;
      await sleep(downMs);
      slackReceivers.push(await startSlackReceiver(slackPort));
      return `down ${Math.round(downMs / 1000)}s`;
    },
  },
];

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

/** The DAG run's result, by polling (a result long-poll does not survive a server restart). */
async function finished(workflowId: string, runId: string): Promise<DailyResult | undefined> {
  for (;;) {
    try {
      const handle = client.workflow.getHandle(workflowId, runId);
      const { status } = await handle.describe();
      if (status.name === 'COMPLETED') return (await handle.result()) as DailyResult;
      if (status.name !== 'RUNNING') {
        // A failed DAG carries its result (every branch's outcome) in its failure's details.
        const err = await handle.result().then(
          () => undefined,
          (e: unknown) => e,
        );
        if (!(err instanceof WorkflowFailedError)) throw err; // not the run's failure: ask again
        return (err.cause as { details?: unknown[] } | undefined)?.details?.[0] as DailyResult | undefined;
      }
    } catch {
      // the server is restarting; the client reconnects
    }
    await sleep(2_000);
  }
}

/** One run as the server recorded it: its outcome, error class and heartbeat-timeout retries. */
async function runTruth(
  round: number,
  pipeline: string,
  workflowId: string,
  runId: string,
): Promise<RunTruth> {
  return retrying(`the history of ${workflowId}`, async () => {
    const handle = client.workflow.getHandle(workflowId, runId);
    const { status } = await handle.describe();
    let failure: unknown;
    if (status.name !== 'COMPLETED') {
      failure = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(failure instanceof WorkflowFailedError))
        throw failure ?? new Error(`${workflowId} ${status.name}`);
    }
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const idOf = new Map(
      events.map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes?.activityId ?? '']),
    );
    const lastAttempt: Record<string, number> = {};
    for (const e of events) {
      const a = e.activityTaskStartedEventAttributes;
      if (a) lastAttempt[idOf.get(String(a.scheduledEventId)) ?? ''] = a.attempt ?? 1;
    }
    const typeOf = new Map(
      events.map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name]),
    );
    const lostAttempts = events
      .map((e) => e.activityTaskStartedEventAttributes)
      .filter((a) => a?.lastFailure?.timeoutFailureInfo?.timeoutType === TIMEOUT_TYPE_HEARTBEAT)
      .map(
        (a) => `${typeOf.get(String(a!.scheduledEventId)) ?? '?'} attempt ${a!.attempt} on ${a!.identity}`,
      );
    return {
      round,
      scope: `${pipeline}/${RUN_DATE}`,
      runId,
      outcome: status.name === 'COMPLETED' ? 'completed' : 'failed',
      errorClass: failure === undefined ? undefined : rootCauseOf(failure).type,
      workerLosses: lostAttempts.length,
      lostAttempts,
      lastAttempt,
    };
  });
}

async function runRound(round: number): Promise<{ result?: DailyResult; runs: RunTruth[] }> {
  const workflowId = runWorkflowId(DAILY_PIPELINE, RUN_DATE);
  const input = { ...compiled.options.action.args![0]!, runDate: RUN_DATE, rerun: 'all' as const };
  const runId = await retrying(`start ${workflowId}`, async () => {
    try {
      const handle = await client.workflow.start(DAILY_PIPELINE, {
        taskQueue: env.DAYBREAK_TASK_QUEUE!,
        workflowId,
        args: [input],
        memo: compiled.options.action.memo,
        typedSearchAttributes: runSearchAttributes(DAILY_PIPELINE, RUN_DATE),
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      return handle.firstExecutionRunId;
    } catch (err) {
      // Started, but the answer was lost to a server restart: follow the run that runs.
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        return (await client.workflow.getHandle(workflowId).describe()).runId;
      throw err;
    }
  });
  const result = await finished(workflowId, runId);
  const runs = [await runTruth(round, DAILY_PIPELINE, workflowId, runId)];
  for (const o of result?.outcomes ?? [])
    if (o.runId && (o.status === 'completed' || o.status === 'failed'))
      runs.push(await runTruth(round, o.pipeline, o.workflowId, o.runId));
  return { result, runs };
}

/** Every published manifest: under the data root (local) and in the bucket. */
async function publishedPrefixes(): Promise<string[]> {
  const local = fs
    .readdirSync(dataRoot, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name === MANIFEST_NAME)
    .map((e) => e.parentPath)
    .filter((p) => !p.startsWith(path.join(dataRoot, 'raw'))); // the inputs' export manifests
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
  bytesLost: number;
  violations: string[];
}
const rounds: RoundFigures[] = [];
let faultsStruck = () => 0; // the injector's count, once it runs
const truth: RunTruth[] = [];
const reference = new Map<string, Manifest>(); // each output as the undisturbed round published it
const verifyScratch = path.join(work, 'verify');
fs.mkdirSync(verifyScratch, { recursive: true });

async function verifyRound(
  round: number,
  faultsBefore: number,
  result: DailyResult | undefined,
  runs: RunTruth[],
) {
  const violations: string[] = [];
  let bytesLost = 0;
  if (!result) violations.push('the DAG run ended without a result');
  const prefixes = await retrying('list the published outputs', publishedPrefixes);
  for (const prefix of round === 0 ? prefixes : reference.keys()) {
    // Verification that cannot reach the emulator is retried, not counted as a loss.
    const verified = await retrying(`verify ${prefix}`, () =>
      verifyOutput(prefix, verifyScratch, { settled: true }),
    );
    violations.push(...verified.problems);
    const manifest = verified.manifest;
    if (round === 0) {
      if (manifest) reference.set(prefix, manifest);
      continue;
    }
    const before = reference.get(prefix)!;
    if (!manifest) {
      bytesLost += before.totals.bytes; // the output is gone
      continue;
    }
    for (const f of manifest.files)
      if (verified.problems.some((p) => p.startsWith(`${prefix}/${f.name} `))) bytesLost += f.bytes;
    if (manifest.totals.rows !== before.totals.rows)
      violations.push(
        `${prefix}: ${manifest.totals.rows} rows; the undisturbed round published ${before.totals.rows}`,
      );
  }
  for (const prefix of prefixes)
    if (round > 0 && !reference.has(prefix))
      violations.push(`${prefix}: published, but not by the undisturbed round`);
  const figures: RoundFigures = {
    round,
    faults: faultsStruck() - faultsBefore,
    branches: (result?.outcomes ?? []).map((o) => `${o.pipeline}:${o.status}`).join(' '),
    outputs: round === 0 ? prefixes.length : reference.size,
    bytesLost,
    violations,
  };
  rounds.push(figures);
  truth.push(...runs);
  log(
    `round ${round}: ${figures.branches}; ${figures.faults} faults; ${figures.outputs} outputs verified, ` +
      `${bytesLost} bytes lost, ${violations.length} violations`,
  );
  for (const v of violations) log(`  VIOLATION ${v}`);
}

async function playRound(round: number) {
  const faultsBefore = faultsStruck();
  const { result, runs } = await runRound(round);
  await verifyRound(round, faultsBefore, result, runs);
}

/** Waits until no alert redelivery is running (every undelivered alert delivered or given up). */
async function redeliveriesDrained(timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let running = 0;
    for await (const _ of client.workflow.list({
      query: `WorkflowType = 'alertRedelivery' AND ExecutionStatus = 'Running'`,
    }))
      running++;
    if (running === 0) return;
    if (Date.now() > deadline) throw new Error(`${running} alert redeliveries still running`);
    log(`waiting for ${running} alert redeliveries`);
    await sleep(5_000);
  }
}

// Round 0 runs undisturbed: the reference every later round is compared with.
await playRound(0);
const deadline = Date.now() + MINUTES * 60_000;
const injector = startFaultInjector({ kinds: FAULTS, random, gapMs: { min: 8_000, max: 25_000 }, log });
faultsStruck = () => injector.records.length;
for (let round = 1; Date.now() < deadline; round++) await playRound(round);
log('faults stop; waiting for the faults under way and the alert redeliveries');
await injector.stop();
await retrying('drain the alert redeliveries', () => redeliveriesDrained());
// A last clean round: every scope's run succeeds, resolving what the faults left open.
await playRound(rounds.length);
await retrying('drain the alert redeliveries', () => redeliveriesDrained());
await sleep(2_000);

// ---- alerts: what the channels actually got
const received = [
  ...smtpSinks.flatMap((s) => s.messages.map((m) => parseEmail(m.mail, m.at))),
  ...slackReceivers.flatMap((r) =>
    r.messages
      .filter((m) => m.answered === 200)
      .map((m) => ({ ...parseAlertText('slack', m.payload.text), at: m.at })),
  ),
];
const alerts = accountAlerts(truth, received);

// ---- report
const total = (f: (r: RoundFigures) => number) => rounds.reduce((s, r) => s + f(r), 0);
const faultCounts = countByKind(injector.records, FAULTS);
const sum = (f: (c: (typeof alerts)['email']) => number) => CHANNELS.reduce((s, c) => s + f(alerts[c]), 0);
const lost = sum((a) => a.lost.length);
const duplicated = sum((a) => a.duplicated.length);
const resolvedLate = sum((a) => a.resolvedLate.length);
const violations = total((r) => r.violations.length);
const lines = [
  `Soak (npm run soak -- --minutes ${MINUTES} --seed ${args.seed}): the daily DAG, ${identities.length} workers; feeds docs/reliability.md "Soak"`,
  '',
  `| rounds (1 undisturbed, 1 clean last) | ${FAULTS.map((k) => k.name).join(' | ')} | outputs verified | bytes lost | violations | alerts expected (e-mail / Slack) | alerts received | alerts lost | alerts duplicated | resolved late |`,
  `|---|${FAULTS.map(() => '---|').join('')}---|---|---|---|---|---|---|---|`,
  `| ${rounds.length} | ${FAULTS.map((k) => faultCounts.get(k.name)).join(' | ')} | ${total((r) => r.outputs)} | ${total((r) => r.bytesLost)} | ${violations} | ${alerts.email.expected} / ${alerts.slack.expected} | ${alerts.email.received} / ${alerts.slack.received} | ${lost} | ${duplicated} | ${resolvedLate} |`,
  '',
  `worker crashes (exits the soak did not cause): ${crashes.join('; ') || 'none'}`,
  `rounds whose DAG did not complete (a fault outlasted the retries): ${
    rounds
      .filter((r) => /:(failed|skipped)/.test(r.branches))
      .map((r) => `${r.round} (${r.branches})`)
      .join('; ') || 'none'
  }`,
  '',
  'faults:',
  ...injector.records.map(
    (f, i) =>
      `  ${i + 1}. ${f.startedAt.toISOString().slice(11, 19)}-${f.endedAt?.toISOString().slice(11, 19) ?? '?'} ${f.kind}` +
      (f.detail ? ` ${f.detail}` : '') +
      (f.error ? ` FAILED: ${f.error}` : ''),
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
for (const r of rounds.filter((x) => x.violations.length))
  process.stdout.write(`round ${r.round}:\n${r.violations.map((v) => `  ${v}`).join('\n')}\n`);
for (const c of CHANNELS) {
  for (const l of alerts[c].lost) process.stdout.write(`alert lost (${c}): ${l}\n`);
  for (const d of alerts[c].duplicated) process.stdout.write(`alert duplicated (${c}): ${d}\n`);
  for (const d of alerts[c].resolvedLate) process.stdout.write(`resolved late (${c}): ${d}\n`);
}
// Where a lost alert went: every request of its scope on both channels (Slack's answers too) and
// its alert state's updates.
const lostLines = CHANNELS.flatMap((c) => alerts[c].lost);
if (lostLines.length) {
  const requests: ChannelRequest[] = [
    ...smtpSinks.flatMap((sink) =>
      sink.messages.map((m) => ({ channel: 'email' as const, at: m.at, alert: parseEmail(m.mail, m.at) })),
    ),
    ...slackReceivers.flatMap((r) =>
      r.messages.map((m) => ({
        channel: 'slack' as const,
        at: m.at,
        answered: m.answered,
        alert: parseAlertText('slack', m.payload.text),
      })),
    ),
  ];
  for (const line of await lostAlertEvidence(client, lostLines, requests)) process.stdout.write(`${line}\n`);
}

// The workers' warnings and errors (each process's), for whoever reads a violation.
const workerLog = path.join(os.tmpdir(), `daybreak-soak-workers-seed${args.seed}.log`);
fs.writeFileSync(
  workerLog,
  everyWorker
    .map((w, i) => `==== ${w.identity} process ${i + 1} (pid ${w.child.pid})\n${w.output()}`)
    .join('\n'),
);
process.stdout.write(`worker logs: ${workerLog}\n`);
for (const identity of identities) killing.add(identity);
await Promise.all([...workers.values()].map((w) => w.stop()));
await client.connection.close();
await Promise.all([
  temporal.stop(),
  redis.stop(),
  gcs.stop(),
  smtpSinks.at(-1)!.close(),
  slackReceivers.at(-1)!.close(),
]);
const faultless = FAULTS.filter((k) => faultCounts.get(k.name) === 0).map((k) => k.name);
if (faultless.length) process.stdout.write(`never struck: ${faultless.join(', ')}\n`);
process.exit(violations === 0 && total((r) => r.bytesLost) === 0 && lost === 0 && duplicated === 0 ? 0 : 1);
