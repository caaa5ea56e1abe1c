// identity-join bad input: each a clear, non-retryable failure that names the object, failing
// after one attempt. The GCS permission error is a real HTTP 403 from a small proxy in front of
// the emulator (fake-gcs-server has no IAM and never answers 403 itself).
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import { withDuckDB, sqlString } from '../../lib/duckdb.js';
import type { FakeGcsServer } from '../../devstack/fake-gcs.js';
import { startRun } from '../../pipelines/runs.js';
import { GcsStorage } from '../../lib/storage/gcs.js';
import { MANIFEST_NAME, readManifest } from '../../lib/storage/manifest.js';
import {
  createBucket,
  startEmulator,
  startForbiddingProxy,
  uploadTree,
  type ForbiddingProxy,
} from '../helpers/gcs.js';
import {
  activityStarts,
  failedSteps,
  startTestWorker,
  testConfig,
  tempDir,
  type TestWorker,
} from '../helpers/temporal.js';

const FORBIDDEN_OBJECT = 'raw/ds2-locked/part-00000.parquet';

let env: TestWorker;
let emulator: FakeGcsServer;
let proxy: ForbiddingProxy;
let dataDir: string;

beforeAll(async () => {
  emulator = await startEmulator();
  await createBucket(emulator.url, 'lake');
  proxy = await startForbiddingProxy(emulator.url, [FORBIDDEN_OBJECT]);
  // The worker reaches GCS through the proxy; everything but the locked object passes through.
  env = await startTestWorker(testConfig({ STORAGE_EMULATOR_HOST: proxy.url }));
  dataDir = tempDir('ij-bad');
  await generateIdentityJoin({
    rows: 1_000,
    visitors: 300,
    seed: 5,
    out: dataDir,
    days: 1,
    startDate: '2025-03-01',
  });
});
afterAll(async () => {
  await env?.stop();
  await proxy?.stop();
  await emulator?.stop();
});

/** Runs and returns the innermost failure, checking the failing activity ran exactly once. */
async function failure(runDate: string, rawParams: Record<string, string>): Promise<ApplicationFailure> {
  const handle = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'identity-join',
    runDate,
    rawParams,
  });
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  // The chain: (the run's root-cause failure ->) [ActivityFailure ->] the activity's own failure
  // (a plan step is a local activity: its failure comes without the ActivityFailure).
  const chain: Error[] = [];
  for (let c = (err as WorkflowFailedError).cause; c; c = c.cause as Error | undefined) chain.push(c);
  const app = chain.at(-1);
  expect(app).toBeInstanceOf(ApplicationFailure);
  expect((app as ApplicationFailure).nonRetryable).toBe(true);
  // One step failed, on its first attempt, and nothing was retried.
  expect(await failedSteps(env.client, handle.workflowId)).toEqual([
    { type: expect.any(String) as string, attempt: 1 },
  ]);
  const attempts = (await activityStarts(env.client, handle.workflowId)).map((s) => s.attempt);
  expect(attempts.every((a) => a === 1)).toBe(true);
  return app as ApplicationFailure;
}

async function writeParquet(file: string, select: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await withDuckDB({ scratchDir: tempDir('ij-bad-db') }, (conn) =>
    conn.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet)`),
  );
}

describe('identity-join bad input', () => {
  test('a DS1 file without visitor_id: BadInput naming the file and the column', async () => {
    const root = path.join(dataDir, 'no-visitor');
    const bad = path.join(root, 'dt=2025-03-01', 'part-00001.parquet');
    await fs.mkdir(path.dirname(bad), { recursive: true });
    await fs.copyFile(
      path.join(dataDir, 'visitor_events', 'dt=2025-03-01', 'part-00000.parquet'),
      path.join(path.dirname(bad), 'part-00000.parquet'),
    );
    await writeParquet(bad, `SELECT 'x' AS visitor, 1 AS event_id`);
    const app = await failure('2025-03-01', {
      ds1: root,
      ds2: path.join(dataDir, 'liveramp'),
      output: path.join(dataDir, 'o1'),
    });
    expect(app.type).toBe('BadInput');
    expect(app.message).toContain(bad);
    expect(app.message).toContain('"visitor_id"');
  });

  test('a shuffle whose DS1 map fails while the DS2 map writes: the run aborts, leaving the previous output and none of its partitions', async () => {
    const output = path.join(dataDir, 'o-shuffle');
    // DS2 in 48 files: its map walks 6 batches (seconds) while the DS1 map fails on its first.
    const many = path.join(dataDir, 'many-ds2');
    await generateIdentityJoin({
      rows: 1_000,
      visitors: 300,
      seed: 5,
      out: many,
      days: 1,
      startDate: '2025-03-01',
      ds2Files: 48,
    });
    const ds2 = path.join(many, 'liveramp');
    const good = await startRun({
      client: env.client,
      config: env.config,
      pipeline: 'identity-join',
      runDate: '2025-03-01',
      rawParams: { ds1: path.join(many, 'visitor_events'), ds2, output, shards: '2' },
    });
    await good.result();
    const before = await readManifest(output);
    expect(before?.report).toHaveProperty('shuffle');

    const root = path.join(dataDir, 'no-visitor-shuffle');
    const bad = path.join(root, 'dt=2025-03-01', 'part-00001.parquet');
    await fs.mkdir(path.dirname(bad), { recursive: true });
    await fs.copyFile(
      path.join(many, 'visitor_events', 'dt=2025-03-01', 'part-00000.parquet'),
      path.join(path.dirname(bad), 'part-00000.parquet'),
    );
    await writeParquet(bad, `SELECT 'x' AS visitor, 1 AS event_id`);
    const app = await failure('2025-03-01', { ds1: root, ds2, output, shards: '2' });
    expect(app.type).toBe('BadInput');
    expect(app.message).toContain(bad);

    // The previous manifest and its files, the failed run's lock (taken over by the next run) and
    // nothing else: no partitions under _work (the DS2 map finished before the run failed and
    // aborted), no part files of the failed run.
    expect(await readManifest(output)).toEqual(before);
    const left = (await fs.readdir(output, { recursive: true })).filter((f) => !f.startsWith('_LOCK.'));
    expect(left.sort()).toEqual([MANIFEST_NAME, ...before!.files.map((f) => f.name)].sort());
  });

  test('an unreadable Parquet file: BadInput naming the file', async () => {
    const root = path.join(dataDir, 'garbage');
    const bad = path.join(root, 'dt=2025-03-01', 'part-00001.parquet');
    await fs.mkdir(path.dirname(bad), { recursive: true });
    await fs.writeFile(bad, 'this is not a parquet file, just some bytes that end in nothing useful');
    const app = await failure('2025-03-01', {
      ds1: root,
      ds2: path.join(dataDir, 'liveramp'),
      output: path.join(dataDir, 'o2'),
    });
    expect(app.type).toBe('BadInput');
    expect(app.message).toContain(`cannot read Parquet file ${bad}`);
  });

  test('a DS1 dataset with no files at all: MissingInput naming it', async () => {
    const app = await failure('2025-03-01', {
      ds1: path.join(dataDir, 'nowhere'),
      ds2: path.join(dataDir, 'liveramp'),
      output: path.join(dataDir, 'o3'),
    });
    expect(app.type).toBe('MissingInput');
    expect(app.message).toContain(path.join(dataDir, 'nowhere'));
  });

  test('GCS answering 403 for a DS2 object: PermissionDenied naming the object', async () => {
    const direct = new GcsStorage({ apiEndpoint: emulator.url });
    await uploadTree(
      direct,
      path.join(dataDir, 'visitor_events', 'dt=2025-03-01', 'part-00000.parquet'),
      'gs://lake/raw/ds1/dt=2025-03-01/part-00000.parquet',
    );
    await uploadTree(
      direct,
      path.join(dataDir, 'liveramp', 'part-00000.parquet'),
      `gs://lake/${FORBIDDEN_OBJECT}`,
    );
    const app = await failure('2025-03-01', {
      ds1: 'gs://lake/raw/ds1',
      ds2: 'gs://lake/raw/ds2-locked',
      output: 'gs://lake/curated/identity-join/dt=2025-03-01',
    });
    expect(app.type).toBe('PermissionDenied');
    expect(app.message).toContain(`gs://lake/${FORBIDDEN_OBJECT}`);
    expect(app.message).toContain('HTTP 403');
    expect(app.message).toContain('does not have storage.objects.get access');
    expect(proxy.refused.length).toBeGreaterThan(0);
  });
});
