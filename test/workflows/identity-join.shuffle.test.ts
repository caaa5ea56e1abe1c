// identity-join's shuffle (DS2 larger than a task's memory): with DAYBREAK_DUCKDB_MEMORY_LIMIT
// small enough that the planner picks 8 or more buckets, the output equals the in-memory run's and
// the independent computation's (rows and an order-free checksum), DS1 is read exactly once, and
// the plan records the choice. Then a worker process SIGKILLed in the middle of the DS1 map: the
// retry on the other worker resumes after the batches its heartbeat reported, and the output is
// unchanged.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import type { IdentityJoinPlan, IdentityJoinResult } from '../../activities/identity-join/types.js';
import { localActivityMarker } from '../../lib/local-activity-marker.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import { MANIFEST_NAME, readManifest } from '../../lib/storage/manifest.js';
import {
  canonical,
  expectedJoin,
  findPii,
  orderFreeChecksum,
  piiNeedles,
  readRows,
} from '../helpers/identity-join.js';
import {
  activityStarts,
  startTestWorker,
  tempDir,
  testConfig,
  type TestWorker,
} from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

const DAY = '2025-05-01';
/**
 * ~26 MB of DS2 Parquet (~130 MB estimated in memory) against half of 32 MB per bucket: 9 buckets.
 * DS2 comes in 16 files so that one Parquet row group (one file's) fits the map's 32 MB. (16 MB was
 * too tight: tasks ran out of memory.)
 */
const MEMORY_LIMIT = '32MB';
const DS1_FILES = 400;

let inMemory: TestWorker;
let limited: TestWorker;
let dataDir: string;
let ds1Bytes: number;
let ds2Bytes: number;
let expected: { rows: string[]; checksum: string };
let needles: Set<string>;
const workers: WorkerProcess[] = [];

const ds1Dir = () => path.join(dataDir, 'visitor_events', `dt=${DAY}`);
const params = (output: string) => ({
  ds1: path.join(dataDir, 'visitor_events'),
  ds2: path.join(dataDir, 'liveramp'),
  output,
});

async function parquetIn(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => f.endsWith('.parquet')).map((f) => path.join(dir, f));
}

beforeAll(async () => {
  dataDir = tempDir('ij-shuffle');
  // Many small DS1 files: the DS1 map walks 50 batches, heartbeating after each.
  await generateIdentityJoin({
    rows: 20_000,
    visitors: 800_000,
    seed: 7,
    out: dataDir,
    days: 1,
    startDate: DAY,
    ds1FilesPerDay: DS1_FILES,
    ds2Files: 16,
  });
  [inMemory, limited] = await Promise.all([
    startTestWorker(testConfig()),
    startTestWorker(
      testConfig({
        DAYBREAK_DUCKDB_MEMORY_LIMIT: MEMORY_LIMIT,
        DAYBREAK_DUCKDB_THREADS: '1',
        DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1',
      }),
    ),
  ]);
  const ds1Files = await parquetIn(ds1Dir());
  ds1Bytes = (await Promise.all(ds1Files.map(async (f) => (await fs.stat(f)).size))).reduce(
    (s, n) => s + n,
    0,
  );
  const ds2Files = await parquetIn(path.join(dataDir, 'liveramp'));
  ds2Bytes = (await Promise.all(ds2Files.map(async (f) => (await fs.stat(f)).size))).reduce(
    (s, n) => s + n,
    0,
  );
  // The independent join needs only the DS2 rows of DS1's visitors (a 40th of DS2): DS2 is read a
  // file at a time, keeping those rows and every PII value.
  const ds1 = await readRows(ds1Files);
  const visitors = new Set(ds1.map((r) => String(r.visitor_id)));
  const ds2OfDs1: Awaited<ReturnType<typeof readRows>> = [];
  needles = new Set();
  for (const file of ds2Files) {
    const ds2 = await readRows([file]);
    ds2OfDs1.push(...ds2.filter((r) => visitors.has(String(r.visitor_id))));
    for (const needle of piiNeedles(ds2)) needles.add(needle);
  }
  const rows = expectedJoin(ds1, ds2OfDs1);
  expected = { rows: canonical(rows), checksum: orderFreeChecksum(rows) };
}, 600_000); // datagen, the independent computation and two workers: minutes on a loaded machine
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await Promise.all([inMemory?.stop(), limited?.stop()]);
});

/** The output's rows (canonical) and checksum; the prefix holds only the manifest and its files. */
async function published(output: string) {
  const manifest = await readManifest(output);
  expect(manifest).toBeDefined();
  expect((await fs.readdir(output)).sort()).toEqual(
    [MANIFEST_NAME, ...manifest!.files.map((f) => f.name)].sort(),
  );
  const rows = await readRows(manifest!.files.map((f) => path.join(output, f.name)));
  return { rows: canonical(rows), checksum: orderFreeChecksum(rows) };
}

/** The plan the run's planIdentityJoin returned, from the history (its local-activity marker). */
async function planOf(handle: WorkflowHandle): Promise<IdentityJoinPlan> {
  const scheduled = new Map<string, string>();
  for (const e of (await handle.fetchHistory()).events ?? []) {
    if (localActivityMarker(e)?.activityType === 'planIdentityJoin') {
      const result = e.markerRecordedEventAttributes!.details!.result!.payloads![0]!.data!;
      return JSON.parse(Buffer.from(result).toString('utf8')) as IdentityJoinPlan;
    }
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
    const done = e.activityTaskCompletedEventAttributes;
    if (done && scheduled.get(String(done.scheduledEventId)) === 'planIdentityJoin') {
      return JSON.parse(Buffer.from(done.result!.payloads![0]!.data!).toString('utf8')) as IdentityJoinPlan;
    }
  }
  throw new Error('no completed planIdentityJoin in the history');
}

function decodeDetails(payloads: { data?: Uint8Array | null }[] | undefined): Record<string, unknown> {
  const data = payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>) : {};
}

let limitedResult: IdentityJoinResult;

describe('identity-join shuffle', () => {
  test('a memory limit forcing 8+ buckets: the same rows and checksum as the in-memory run and the independent computation; DS1 read once', async () => {
    const memOut = path.join(dataDir, 'out-in-memory');
    const memHandle = await startRun({
      client: inMemory.client,
      config: inMemory.config,
      pipeline: 'identity-join',
      runDate: DAY,
      rawParams: params(memOut),
    });
    const memResult = await waitForRun<IdentityJoinResult>(memHandle);
    expect(memResult.shards).toBe(1);
    expect(memResult.shuffle).toBeUndefined();

    const out = path.join(dataDir, 'out-limited');
    const handle = await startRun({
      client: limited.client,
      config: limited.config,
      pipeline: 'identity-join',
      runDate: DAY,
      rawParams: params(out),
    });
    limitedResult = await waitForRun<IdentityJoinResult>(handle);

    // The planner chose the shuffle from the sizes and the memory limit, and recorded why.
    const plan = await planOf(handle);
    expect(plan.buckets).toBeGreaterThanOrEqual(8);
    expect(plan.bucketHash).toBe('duckdb-v1'); // the shuffle's cheaper hash, as pinned (lib/buckets.ts)
    expect(plan.shuffle).toBeDefined();
    expect(plan.shuffle!.ds1.flat(2)).toHaveLength(DS1_FILES);
    expect(plan.sizing).toMatchObject({ taskMemoryBytes: 32e6 });
    expect(plan.sizing!.ds2MemoryBytes).toBe(5 * ds2Bytes);
    expect(plan.sizing!.reason).toMatch(new RegExp(`shuffled into ${plan.buckets} visitor_id buckets`));

    const mem = await published(memOut);
    const got = await published(out);
    expect(mem.rows).toEqual(expected.rows);
    expect(got.rows).toEqual(expected.rows);
    expect([mem.checksum, got.checksum]).toEqual([expected.checksum, expected.checksum]);
    for (const key of ['rowsIn', 'rowsOut', 'matchedRows', 'ds2Rows'] as const) {
      expect(limitedResult[key], key).toBe(memResult[key]);
    }
    expect(limitedResult).toMatchObject({
      shards: plan.buckets,
      tasks: plan.buckets,
      rowsOut: expected.rows.length,
    });
    // Each DS1 file read once, by one map; every DS1 row counted once, in one bucket.
    expect(limitedResult.shuffle).toMatchObject({ mapTasks: 2, ds1BytesRead: ds1Bytes, filesResumed: 0 });
    expect(limitedResult.rowsIn).toBe(20_000);
    const starts = (await activityStarts(limited.client, handle.workflowId)).map((s) => s.type);
    expect(starts.filter((t) => t === 'mapIdentityJoinDs1')).toHaveLength(1);
    expect(starts.filter((t) => t === 'joinIdentityBucket')).toHaveLength(plan.buckets);
    expect(starts).not.toContain('joinIdentityShard');
  }, 600_000); // two runs of a 9-bucket shuffle: minutes on a loaded machine

  test('a worker SIGKILLed in the DS1 map: the retry resumes from its heartbeat and the output is unchanged', async () => {
    expect(limitedResult).toBeDefined();
    const root = tempDir('ij-shuffle-kill');
    const queue = `ij-shuffle-kill-${Date.now()}`;
    const env = (name: string) => ({
      TEMPORAL_ADDRESS: limited.config.TEMPORAL_ADDRESS,
      DAYBREAK_TASK_QUEUE: queue,
      DAYBREAK_STATE_DIR: path.join(root, 'state'),
      DAYBREAK_SCRATCH_DIR: path.join(root, `scratch-${name}`),
      DAYBREAK_DUCKDB_MEMORY_LIMIT: MEMORY_LIMIT,
      DAYBREAK_DUCKDB_THREADS: '1',
      DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1',
      // Heartbeat details reach the server every 100 ms, so the kill lands mid-map.
      DAYBREAK_HEARTBEAT_FLUSH_MS: '100',
      DAYBREAK_LOG_LEVEL: 'WARN',
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
    });
    workers.push(
      ...(await Promise.all(['a', 'b'].map((n) => startWorkerProcess(`ij-shuffle-${n}`, env(n))))),
    );
    const config = testConfig({ DAYBREAK_TASK_QUEUE: queue });
    const out = path.join(dataDir, 'out-killed');
    const handle = await startRun({
      client: limited.client,
      config,
      pipeline: 'identity-join',
      runDate: DAY,
      rawParams: params(out),
    });

    let filesAtKill = 0;
    let victim: WorkerProcess | undefined;
    while (!victim) {
      const desc = await handle.describe();
      expect(desc.status.name).toBe('RUNNING');
      const map = (desc.raw.pendingActivities ?? []).find(
        (a) => a.activityType?.name === 'mapIdentityJoinDs1',
      );
      const details = decodeDetails(map?.heartbeatDetails?.payloads ?? undefined);
      if (map && Number(details.batchesDone ?? 0) >= 3) {
        filesAtKill = Number(details.filesRead);
        victim = workers.find((w) => w.identity === map.lastWorkerIdentity);
        expect(victim).toBeDefined();
      } else await new Promise((r) => setTimeout(r, 50));
    }
    expect(filesAtKill).toBeLessThan(DS1_FILES);
    await victim.kill();

    const result = await waitForRun<IdentityJoinResult>(handle);
    const got = await published(out);
    expect(got.rows).toEqual(expected.rows);
    expect(got.checksum).toBe(expected.checksum);
    for (const key of ['rowsIn', 'rowsOut', 'matchedRows', 'ds2Rows', 'shards', 'tasks'] as const) {
      expect(result[key], key).toBe(limitedResult[key]);
    }
    // The map ran twice, the second time elsewhere, and skipped what its predecessor finished:
    // every finished file counted once.
    const maps = (await activityStarts(limited.client, handle.workflowId)).filter(
      (s) => s.type === 'mapIdentityJoinDs1',
    );
    expect(maps.map((m) => m.attempt)).toEqual([2]);
    expect(maps[0]!.identity).not.toBe(victim.identity);
    expect(result.shuffle!.filesResumed).toBeGreaterThanOrEqual(filesAtKill);
    expect(result.shuffle!.filesResumed).toBeLessThan(DS1_FILES);
    expect(result.shuffle!.ds1BytesRead).toBe(ds1Bytes);

    // What the killed worker left in its scratch folder holds no raw PII.
    const scratch = path.join(root, 'scratch-' + victim.identity.slice(-1));
    const left = (await fs.readdir(scratch, { recursive: true, withFileTypes: true })).filter((e) =>
      e.isFile(),
    );
    for (const e of left) {
      const text = (await fs.readFile(path.join(e.parentPath, e.name))).toString('latin1');
      expect(findPii(text, needles), e.name).toEqual([]);
    }
  }, 600_000);
});
