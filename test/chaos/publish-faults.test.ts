// Issue 14.1-14.3 through real workflows and real faults: identity-join runs on real worker
// processes (`daybreak worker`) against the suite's dev server, while a reader keeps verifying the
// published output (test/helpers/output-watch.ts). Faults: a worker SIGKILLed while a re-run puts
// its files, a full disk (a small tmpfs), the GCS emulator restarted mid-run; mistakes: two runs on
// one output at once, an output folder holding someone else's files.
//   1. The previous output stays valid until the new one commits (the reader never sees a broken
//      or missing manifest).
//   2. A manifest lists only the bytes its own run wrote (every file verifies once no run writes;
//      nothing unlisted left behind).
//   3. Publishing deletes only what Daybreak owns.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { IdentityJoinResult } from '../../activities/identity-join/index.js';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import { startFakeGcsServer, type FakeGcsServer } from '../../devstack/fake-gcs.js';
import { freePort } from '../../devstack/dev-server.js';
import { registerConfiguredGcs } from '../../lib/storage/gcs.js';
import { storageFor } from '../../lib/storage/index.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { hasRunTag, runTag } from '../../lib/storage/publish.js';
import { verifyOutput } from '../../lib/storage/verify.js';
import { connectClient } from '../../lib/temporal.js';
import { startRun } from '../../pipelines/runs.js';
import { createBucket } from '../helpers/gcs.js';
import { watchOutput } from '../helpers/output-watch.js';
import { tempDir, testConfig } from '../helpers/temporal.js';
import {
  killWorkerMidActivity,
  startWorkerProcess,
  workerProcessEnv,
  type WorkerProcess,
} from '../helpers/worker-process.js';
import { waitFor } from '../helpers/wait.js';

const QUEUE = `publish-faults-${process.pid}`;
const DATES = ['2024-05-01', '2024-05-02'] as const;
const ROWS = 40_000;

let root: string;
let data: string;
let scratch: string;
let client: Client;
let emulator: FakeGcsServer;
let emulatorPort: number;
let workerEnv: Record<string, string>;
const workers = new Map<string, WorkerProcess>();

function startEmulatorOnPort(): Promise<FakeGcsServer> {
  return startFakeGcsServer({
    binary: inject('tools')['fake-gcs-server'],
    port: emulatorPort,
    filesystemRoot: path.join(root, 'gcs'), // objects survive a restart, as GCS's do
  });
}

async function startWorker(identity: string): Promise<WorkerProcess> {
  const worker = await startWorkerProcess(identity, workerEnv);
  workers.set(identity, worker);
  return worker;
}

beforeAll(async () => {
  root = tempDir('publish-faults');
  data = path.join(root, 'raw');
  scratch = path.join(root, 'verify');
  await fs.mkdir(scratch, { recursive: true });
  await generateIdentityJoin({
    rows: ROWS,
    visitors: 15_000,
    seed: 14,
    out: data,
    days: 2,
    startDate: DATES[0],
  });
  emulatorPort = await freePort();
  emulator = await startEmulatorOnPort();
  await createBucket(emulator.url, 'lake');
  registerConfiguredGcs({ STORAGE_EMULATOR_HOST: emulator.url, GCS_PROJECT_ID: undefined });
  workerEnv = workerProcessEnv(QUEUE, root, {
    STORAGE_EMULATOR_HOST: emulator.url,
    // One task at a time per worker: a kill lands in a run with shards still to put.
    DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1',
  });
  await startWorker('publish-faults-a');
  client = await connectClient(testConfig());
}, 300_000);

afterAll(async () => {
  await Promise.all([...workers.values()].map((w) => w.kill()));
  await client?.connection.close();
  await emulator?.stop();
});

const inputs = (date: string) => ({
  ds1: path.join(data, 'visitor_events'),
  ds2: path.join(data, 'liveramp'),
  date,
});

function start(date: string, output: string, shards = 6) {
  const { ds1, ds2 } = inputs(date);
  return startRun({
    client,
    config: testConfig({ DAYBREAK_TASK_QUEUE: QUEUE }),
    pipeline: 'identity-join',
    runDate: date,
    rawParams: { ds1, ds2, output, shards: String(shards) },
  });
}

async function outcome(handle: Awaited<ReturnType<typeof start>>) {
  const settled: { result?: IdentityJoinResult; error?: unknown } = await handle.result().then(
    (result: unknown) => ({ result: result as IdentityJoinResult }),
    (error: unknown) => ({ error }),
  );
  const history = await handle.fetchHistory();
  const attempts = (history.events ?? [])
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
  return { ...settled, attempts, runId: handle.firstExecutionRunId };
}

const run = async (date: string, output: string, shards?: number) =>
  outcome(await start(date, output, shards));

/** The innermost failure of a failed run. */
function rootCause(error: unknown): ApplicationFailure {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  let c = (error as WorkflowFailedError).cause as Error | undefined;
  while (c?.cause) c = c.cause as Error;
  expect(c).toBeInstanceOf(ApplicationFailure);
  return c as ApplicationFailure;
}

/** Names under `prefix` that carry the run's tag (its files being put). */
async function filesOfRun(prefix: string, runId: string): Promise<string[]> {
  const tag = runTag(runId);
  return (await storageFor(prefix).list(prefix))
    .map((o) => o.uri.slice(prefix.length + 1))
    .filter((n) => !n.startsWith('_') && hasRunTag(n, tag));
}

/** A published, settled output: every listed file verifies, nothing of a run left unlisted. */
async function expectSound(prefix: string, runId: string, rowsIn: number) {
  const verified = await verifyOutput(prefix, scratch, { settled: true });
  expect(verified.problems).toEqual([]);
  expect(verified.manifest!.run!.runId).toBe(runId);
  expect(verified.manifest!.report!.rowsIn).toBe(rowsIn);
  expect(verified.manifest!.files.every((f) => hasRunTag(f.name, runTag(runId)))).toBe(true);
  return verified.manifest!;
}

describe('faults while a re-run replaces a published output', () => {
  test('a worker SIGKILLed while the re-run puts its files: the old output stays valid, the new one is whole', async () => {
    const output = path.join(root, 'out-kill');
    const first = await run(DATES[0], output);
    expect(first.error).toBeUndefined();
    const m1 = await expectSound(output, first.runId, ROWS);

    const watch = watchOutput(output, scratch);
    const handle = await start(DATES[0], output, 12);
    // Killed mid-shard, once the re-run has put files.
    const worker = await killWorkerMidActivity({
      handle,
      workers: [workers.get('publish-faults-a')!],
      activityTypes: ['joinIdentityShard', 'joinIdentityBucket'],
      ready: async () => (await filesOfRun(output, handle.firstExecutionRunId)).length > 0,
    });
    workers.delete(worker.identity);
    await startWorker('publish-faults-b'); // takes over after the heartbeat timeout
    const rerun = await outcome(handle);
    const seen = await watch.stop();

    expect(rerun.error).toBeUndefined();
    expect(Math.max(...rerun.attempts), 'the killed shard was retried').toBeGreaterThan(1);
    expect(seen.violations).toEqual([]);
    expect(seen.runsSeen).toContain(first.runId); // read (valid) while the re-run was under way
    const m2 = await expectSound(output, rerun.runId, ROWS);
    expect(m2.totals.rows).toBe(m1.totals.rows); // the same inputs: the undisturbed run's rows
  });

  test('a full disk during the re-run: it fails, the old output stays valid and nothing of it is left', async () => {
    const disk = path.join(root, 'small-disk');
    await fs.mkdir(disk, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', disk]); // needs root, as CI has
    try {
      const output = path.join(disk, 'out');
      const first = await run(DATES[0], output);
      expect(first.error).toBeUndefined();
      const m1 = await expectSound(output, first.runId, ROWS);
      // Leave room for a third of the output: the re-run's files sit beside the old ones until commit.
      const free = async () => {
        const s = await fs.statfs(disk);
        return s.bavail * s.bsize;
      };
      const filler = path.join(disk, 'filler');
      await fs.writeFile(filler, Buffer.alloc(Math.max(0, (await free()) - Math.ceil(m1.totals.bytes / 3))));

      const watch = watchOutput(output, scratch);
      const failed = await run(DATES[0], output);
      const seen = await watch.stop();
      expect(String(rootCause(failed.error).message)).toMatch(/ENOSPC|no space left/i);
      expect(seen.violations).toEqual([]);
      expect(seen.checks).toBeGreaterThan(0);
      await expectSound(output, first.runId, ROWS); // still the first run's, whole, nothing left over

      await fs.rm(filler);
      const again = await run(DATES[0], output);
      expect(again.error).toBeUndefined();
      await expectSound(output, again.runId, ROWS);
    } finally {
      execFileSync('umount', ['-l', disk]);
    }
  });

  test('the GCS emulator restarted while the re-run puts its objects: the re-run completes, both outputs valid', async () => {
    const output = 'gs://lake/curated/out-restart';
    const first = await run(DATES[0], output);
    expect(first.error).toBeUndefined();
    await expectSound(output, first.runId, ROWS);

    const watch = watchOutput(output, scratch);
    const handle = await start(DATES[0], output);
    await waitFor(
      'an object of the re-run',
      async () => ((await filesOfRun(output, handle.firstExecutionRunId)).length ? true : undefined),
      120_000,
      20,
    );
    await emulator.stop();
    await new Promise((r) => setTimeout(r, 2_000));
    emulator = await startEmulatorOnPort();
    const rerun = await outcome(handle);
    const seen = await watch.stop();
    expect(rerun.error).toBeUndefined();
    expect(seen.violations).toEqual([]);
    expect(seen.runsSeen).toContain(first.runId);
    await expectSound(output, rerun.runId, ROWS);
  });
});

describe('a kill during the commit', () => {
  test('a worker SIGKILLed while the run publishes: retried after the 30 s heartbeat timeout (not the 5-minute start-to-close), the output whole', async () => {
    const output = path.join(root, 'out-commit-kill');
    const handle = await start(DATES[1], output);
    const victim = await killWorkerMidActivity({
      handle,
      workers: [...workers.values()],
      activityTypes: ['publishIdentityJoin'],
    });
    const killedAt = Date.now();
    workers.delete(victim.identity);
    await startWorker('publish-faults-d');
    const published = await outcome(handle);
    expect(published.error).toBeUndefined();
    expect(Date.now() - killedAt, 'retried within the heartbeat timeout').toBeLessThan(150_000);
    const history = await handle.fetchHistory();
    const retried = (history.events ?? [])
      .map((e) => e.activityTaskStartedEventAttributes)
      .filter((a) => a && (a.attempt ?? 1) > 1);
    expect(retried.length, 'the publish ran again').toBeGreaterThan(0);
    // The retried attempt's cause: the killed attempt's heartbeat timeout (4: TIMEOUT_TYPE_HEARTBEAT).
    expect(retried.map((a) => a!.lastFailure?.timeoutFailureInfo?.timeoutType)).toContain(4);
    await expectSound(output, published.runId, ROWS);
  });
});

describe('mistakes', () => {
  test('two runs for different dates on one output at once: one OutputBusy, the other publishes only its own bytes', async () => {
    if (workers.size < 2) await startWorker('publish-faults-c');
    const output = path.join(root, 'out-shared');
    const handles = await Promise.all(DATES.map((d) => start(d, output)));
    const [a, b] = await Promise.all(handles.map(outcome));
    const winner = a!.error ? b! : a!;
    const loser = a!.error ? a! : b!;
    expect(winner.error).toBeUndefined();
    const busy = rootCause(loser.error);
    expect(busy.type).toBe('OutputBusy');
    expect(busy.message).toContain(`identity-join/${winner === a ? DATES[0] : DATES[1]}`);
    expect(loser.attempts.every((n) => n === 1)).toBe(true);
    await expectSound(output, winner.runId, ROWS);
    expect((await readManifest(output))!.runDate).toBe(winner === a ? DATES[0] : DATES[1]);
  });

  test("an output folder with someone else's files: refused before any work, and nothing of theirs is deleted", async () => {
    const output = path.join(root, 'theirs');
    const theirs = {
      'notes.txt': 'my notes\n',
      'other.parquet': 'not even parquet',
      'sub/data.csv': 'a,b\n1,2\n',
    };
    for (const [name, text] of Object.entries(theirs)) {
      await fs.mkdir(path.dirname(path.join(output, name)), { recursive: true });
      await fs.writeFile(path.join(output, name), text);
    }
    const refused = await run(DATES[1], output);
    const app = rootCause(refused.error);
    expect(app.type).toBe('OutputNotEmpty');
    expect(app.message).toContain('notes.txt');
    expect(refused.attempts.every((n) => n === 1)).toBe(true); // refused, never retried
    for (const [name, text] of Object.entries(theirs))
      expect(await fs.readFile(path.join(output, name), 'utf8')).toBe(text);

    // The data root holding the inputs: refused as overlapping them.
    const overInputs = await run(DATES[1], data);
    expect(rootCause(overInputs.error).type).toBe('BadInput');

    // A published output where someone later put a file: a re-run replaces only Daybreak's files.
    const published = path.join(root, 'published');
    const first = await run(DATES[1], published);
    expect(first.error).toBeUndefined();
    await fs.writeFile(path.join(published, 'notes.txt'), 'mine\n');
    const again = await run(DATES[1], published);
    expect(again.error).toBeUndefined();
    await expectSound(published, again.runId, ROWS);
    expect(await fs.readFile(path.join(published, 'notes.txt'), 'utf8')).toBe('mine\n');
    const left = (await fs.readdir(published, { recursive: true })).filter((n) =>
      hasRunTag(n, runTag(first.runId)),
    );
    expect(left).toEqual([]); // the first run's files went with its manifest
  });
});
