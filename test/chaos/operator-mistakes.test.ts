// Issue 14.9: inputs and operator slips that must fail once, clearly, never as retries and a
// stack trace. Real worker processes (`daybreak worker`) with the environment a user gives them:
// one with STORAGE_EMULATOR_HOST written exactly as the README shows (not passed through config),
// one with no Google credentials at all; the real GCS emulator, the suite's dev server, the real
// `daybreak` executable for the CLI cases.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { SessionRankingResult } from '../../activities/session-ranking/types.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import type { FakeGcsServer } from '../../devstack/fake-gcs.js';
import { withDuckDB, sqlString } from '../../lib/duckdb.js';
import { GcsStorage } from '../../lib/storage/gcs.js';
import { connectClient } from '../../lib/temporal.js';
import { MAX_SHARDS } from '../../lib/shards.js';
import { startRun } from '../../pipelines/runs.js';
import { createBucket, startEmulator, uploadTree } from '../helpers/gcs.js';
import { activityStarts, failedSteps, tempDir, testConfig } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const exec = promisify(execFile);

let emulator: FakeGcsServer;
let root: string;
let client: Client;
let gcsWorker: WorkerProcess;
let bareWorker: WorkerProcess;
const queues = { gcs: `mistakes-gcs-${process.pid}`, bare: `mistakes-bare-${process.pid}` };

beforeAll(async () => {
  root = tempDir('mistakes');
  emulator = await startEmulator();
  await createBucket(emulator.url, 'lake');
  await generateSessionRanking({
    rows: 4_000,
    users: 300,
    seed: 9,
    out: path.join(root, 'raw'),
    year: 2023,
    rowsPerFile: 2_000,
  });
  const base = (name: string) => ({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DAYBREAK_DATA_ROOT: path.join(root, name, 'data'),
    DAYBREAK_STATE_DIR: path.join(root, name, 'state'),
    DAYBREAK_SCRATCH_DIR: path.join(root, name, 'scratch'),
    DAYBREAK_DUCKDB_THREADS: '1',
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    DAYBREAK_LOG_LEVEL: 'WARN',
  });
  const home = path.join(root, 'empty-home'); // no gcloud application-default credentials in it
  await fs.mkdir(home, { recursive: true });
  const noCredentials = {
    GOOGLE_APPLICATION_CREDENTIALS: '',
    STORAGE_EMULATOR_HOST: '',
    HOME: home,
    CLOUDSDK_CONFIG: home,
  };
  [gcsWorker, bareWorker] = await Promise.all([
    // What the README tells users to write (the client also reads this variable itself).
    startWorkerProcess('mistakes-gcs', {
      ...base('gcs'),
      ...noCredentials,
      DAYBREAK_TASK_QUEUE: queues.gcs,
      STORAGE_EMULATOR_HOST: emulator.url,
    }),
    startWorkerProcess('mistakes-bare', {
      ...base('bare'),
      ...noCredentials,
      DAYBREAK_TASK_QUEUE: queues.bare,
    }),
  ]);
  client = await connectClient(testConfig());
}, 300_000);

afterAll(async () => {
  await Promise.all([gcsWorker?.stop(), bareWorker?.stop()]);
  await client?.connection.close();
  await emulator?.stop();
});

/** Starts a session-ranking run on `queue` and waits for its end. */
async function run(queue: string, runDate: string, rawParams: Record<string, string>) {
  const handle = await startRun({
    client,
    config: testConfig({ DAYBREAK_TASK_QUEUE: queue }),
    pipeline: 'session-ranking',
    runDate,
    rawParams: { year: '2023', shards: '2', ...rawParams },
  });
  const outcome: { result?: SessionRankingResult; error?: unknown } = await handle.result().then(
    (result: unknown) => ({ result: result as SessionRankingResult }),
    (error: unknown) => ({ error }),
  );
  // Every attempt of every step, the local ones (noteRunStarted, the plan) included.
  const attempts = (await activityStarts(client, handle.workflowId)).map((s) => s.attempt);
  return { ...outcome, attempts };
}

/**
 * The activity's own failure at the end of the chain, after checking the run failed through it:
 * an activity task's failure comes wrapped in an ActivityFailure; a local activity's (the plan
 * step) comes as it was thrown, and its marker in the history names the step that failed.
 */
async function rootCause(error: unknown, workflowId: string, step?: string): Promise<ApplicationFailure> {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const chain: Error[] = [];
  for (let c = (error as WorkflowFailedError).cause; c; c = c.cause as Error | undefined) chain.push(c);
  if (step === undefined) expect(chain.some((c) => c instanceof ActivityFailure)).toBe(true);
  else expect(await failedSteps(client, workflowId)).toEqual([{ type: step, attempt: 1 }]);
  const app = chain.at(-1);
  expect(app).toBeInstanceOf(ApplicationFailure);
  return app as ApplicationFailure;
}

/** Flips bytes inside the largest column chunk's pages: the footer stays readable, a page does not. */
async function corruptADataPage(file: string): Promise<void> {
  const chunk = await withDuckDB({ scratchDir: tempDir('mistakes-db') }, async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT data_page_offset AS at, total_compressed_size AS size FROM parquet_metadata(${sqlString(file)})
       ORDER BY total_compressed_size DESC LIMIT 1`,
    );
    const row = reader.getRowObjects()[0]!;
    return { at: Number(row.at), size: Number(row.size) };
  });
  const bytes = await fs.readFile(file);
  // Past the page header, to the chunk's end: the snappy stream no longer decodes.
  for (let i = chunk.at + 60; i < chunk.at + chunk.size; i++) bytes[i] = bytes[i]! ^ 0x5a;
  await fs.writeFile(file, bytes);
}

test('STORAGE_EMULATOR_HOST as the README writes it: a gs:// run lists, reads and publishes', async () => {
  expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // the README's form
  const gcs = new GcsStorage({ apiEndpoint: emulator.url });
  await uploadTree(gcs, path.join(root, 'raw'), 'gs://lake/raw');
  const { result, error, attempts } = await run(queues.gcs, '2023-06-11', {
    activity: 'gs://lake/raw/user_activity',
    profile: 'gs://lake/raw/user_profile',
    output: 'gs://lake/curated/ranking',
  });
  expect(error).toBeUndefined();
  expect(result!.inputRows).toBe(4_000);
  expect(attempts.every((a) => a === 1)).toBe(true);
  const published = (await gcs.list('gs://lake/curated/ranking')).map((o) => path.posix.basename(o.uri));
  expect(published).toContain('_SUCCESS');
});

test('a corrupt data page in a gs:// input: one non-retryable BadInput naming the object', async () => {
  const gcs = new GcsStorage({ apiEndpoint: emulator.url });
  const damaged = path.join(root, 'damaged', 'part-00001.parquet');
  await fs.mkdir(path.dirname(damaged), { recursive: true });
  await fs.copyFile(path.join(root, 'raw', 'user_activity', 'part-00001.parquet'), damaged);
  await corruptADataPage(damaged);
  await uploadTree(
    gcs,
    path.join(root, 'raw', 'user_activity', 'part-00000.parquet'),
    'gs://lake/bad/part-00000.parquet',
  );
  await uploadTree(gcs, damaged, 'gs://lake/bad/part-00001.parquet');
  const { error, attempts } = await run(queues.gcs, '2023-06-12', {
    activity: 'gs://lake/bad',
    profile: 'gs://lake/raw/user_profile',
    output: 'gs://lake/curated/ranking-bad',
  });
  const app = await rootCause(error, 'session-ranking/2023-06-12');
  expect(app.type).toBe('BadInput');
  expect(app.nonRetryable).toBe(true);
  expect(app.message).toMatch(
    /^cannot read Parquet file gs:\/\/lake\/bad\/part-00001\.parquet: Snappy decompression failure/,
  );
  expect(
    attempts.every((a) => a === 1),
    `attempts ${attempts.join(',')}`,
  ).toBe(true);
});

test('a gs:// output with no Google credentials: one PermissionDenied saying what is missing, at once', async () => {
  const started = Date.now();
  const { error, attempts } = await run(queues.bare, '2023-06-13', {
    activity: path.join(root, 'raw', 'user_activity'),
    profile: path.join(root, 'raw', 'user_profile'),
    output: 'gs://lake/curated/no-credentials',
  });
  // Opening the output is the plan's first step: the run fails there, in its local activity.
  const app = await rootCause(error, 'session-ranking/2023-06-13', 'planSessionRanking');
  expect(app.type).toBe('PermissionDenied');
  expect(app.message).toContain('no Google Cloud credentials to open gs://lake/curated/no-credentials');
  expect(app.message).toContain('set GOOGLE_APPLICATION_CREDENTIALS');
  expect(app.message.split('\n')).toHaveLength(1);
  expect(
    attempts.every((a) => a === 1),
    `attempts ${attempts.join(',')}`,
  ).toBe(true);
  expect(Date.now() - started).toBeLessThan(30_000); // was 94 s of retries
});

/** The real executable, as an operator runs it. */
async function daybreak(env: Record<string, string>, ...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['bin/daybreak.js', ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('CLI: starting a run that is already running, and shards=1000000: one clear line each, no stack', async () => {
  // No worker polls this queue: the run stays running.
  const date = '2023-06-14';
  const queue = `mistakes-idle-${process.pid}`;
  const env = { DAYBREAK_TASK_QUEUE: queue, DAYBREAK_DATA_ROOT: path.join(root, 'cli') };
  const params = [
    '--param',
    `activity=${path.join(root, 'raw', 'user_activity')}`,
    '--param',
    `profile=${path.join(root, 'raw', 'user_profile')}`,
  ];
  const first = await daybreak(env, 'run', 'session-ranking', '--date', date, ...params);
  expect(first.code, first.stderr).toBe(0);
  const handle = client.workflow.getHandle(`session-ranking/${date}`);
  try {
    const { runId } = await handle.describe();
    const again = await daybreak(env, 'run', 'session-ranking', '--date', date, ...params);
    expect(again.code).toBe(2);
    expect(again.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^daybreak: session-ranking/${date} is already running \\(run ${runId}, started \\S+\\): .*http\\S+/${runId}/history$`,
        ),
      ),
    ]);
  } finally {
    await handle.terminate('test done');
  }
  const huge = await daybreak(
    env,
    'run',
    'session-ranking',
    '--date',
    date,
    ...params,
    '--param',
    'shards=1000000',
  );
  expect(huge.code).toBe(2);
  expect(huge.stderr.trimEnd().split('\n')).toEqual([
    expect.stringContaining(`parameter shards must be at most ${MAX_SHARDS} (`),
  ]);
});
