// Issue 14.5: a Redis without persistence loses everything in the middle of a sync. Before: the sync
// switched to a version holding half of its entities (the API found 154 of 300 ids while /readyz
// said ready), and the version counter restarted, so a later sync rewrote the live version in place
// (reads mixed two versions). Now the switch happens only when Redis holds every entity the shards
// wrote (checked at switch time; the lost shards are loaded again), and version numbers are never
// reused, even after Redis lost everything. Through the workflow on the suite's Temporal server,
// a real redis-server killed with SIGKILL, and the HTTP API read all along.
import path from 'node:path';
import { Redis } from 'ioredis';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateCustomers } from '../../datagen/customers.js';
import type { FeatureSyncResult } from '../../activities/feature-sync/types.js';
import type { Features } from '../../lib/features/encoding.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';
import { startRun } from '../../pipelines/runs.js';
import { startTestApi, type TestApi } from '../helpers/feature-api.js';
import { readOfflineView } from '../helpers/feature-oracle.js';
import { checkAnswers, startReaders } from '../helpers/feature-readers.js';
import { redisProcess, type RedisProcess } from '../helpers/redis-process.js';
import {
  startTestWorker,
  tempDir,
  testConfig,
  waitForRunOrExplain,
  type TestWorker,
} from '../helpers/temporal.js';

const view = FEATURE_VIEWS.customer!;
let dir: string;
let redis: RedisProcess;
let env: TestWorker;
let api: TestApi;
const records: Record<string, string> = {};
let ids: string[];
/** Offline rows of each version a sync published. */
const served = new Map<number, Map<string, Features>>();
let run = 0;

beforeAll(async () => {
  dir = tempDir('chaos-fs-loss');
  redis = await redisProcess({ dir, persistence: false });
  await redis.start();
  // One activity at a time: the load shards run one after another, so a sync is "midway" for a while.
  env = await startTestWorker(testConfig({ REDIS_URL: redis.url, DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1' }));
  for (const [name, seed] of [
    ['a', 11],
    ['b', 12],
  ] as const)
    records[name] = (
      await generateCustomers({ records: 3000, seed, out: path.join(dir, `gen-${name}`) })
    ).recordsDir;
  api = await startTestApi(redis.url, 10_000);
});
afterAll(async () => {
  await api?.close();
  await env?.stop();
  await redis?.kill();
});

function startSync(data: string, shards: number): { handle: Promise<WorkflowHandle>; output: string } {
  const output = path.join(dir, `out-${++run}`);
  const handle = startRun({
    client: env.client,
    config: env.config,
    pipeline: 'feature-sync',
    runDate: `2025-06-${String(10 + run).padStart(2, '0')}`,
    rawParams: {
      records: records[data]!,
      output,
      views: 'customer',
      clusters: 'none',
      shards: String(shards),
    },
  });
  return { handle, output };
}

async function finish(sync: ReturnType<typeof startSync>): Promise<number> {
  const result = await waitForRunOrExplain<FeatureSyncResult>(await sync.handle, 150_000, env.worker);
  const version = result.views[0]!.version;
  served.set(version, await readOfflineView(path.join(sync.output, 'customer'), view));
  return version;
}

/** Waits until `n` load shards of the run completed (its history says so). */
async function shardsCompleted(handle: WorkflowHandle, n: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const events = (await handle.fetchHistory()).events ?? [];
    const loads = new Set(
      events
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'loadFeatureShard')
        .map((e) => String(e.eventId)),
    );
    const done = events.filter(
      (e) =>
        e.activityTaskCompletedEventAttributes &&
        loads.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId)),
    ).length;
    if (done >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${n} load shards did not complete within 30 s`);
}

async function pointer(): Promise<string | null> {
  const r = new Redis(redis.url);
  try {
    return await r.get('fs:customer:current');
  } finally {
    r.disconnect();
  }
}

test('Redis killed without persistence midway through a sync: never a half version; the lost shards are loaded again', async () => {
  const versionA = await finish(startSync('a', 1));
  ids = [...served.get(versionA)!.keys()];
  const before = await pointer();

  const readers = startReaders(api, ids);
  const sync = startSync('b', 6);
  await shardsCompleted(await sync.handle, 2);
  // Freeze every writer (no switch can happen now), make sure none happened yet, then lose it all.
  const admin = new Redis(redis.url);
  await admin.call('CLIENT', 'PAUSE', '30000', 'WRITE');
  expect(await admin.get('fs:customer:current')).toBe(before);
  admin.disconnect();
  await redis.kill('SIGKILL');
  await redis.start();

  const versionB = await finish(sync);
  // Every reader keeps going a moment after the switch.
  await new Promise((r) => setTimeout(r, 500));
  const report = await readers.stop();
  expect(checkAnswers(report, served).slice(0, 5)).toEqual([]);
  expect(report.versions.get(versionA)).toBeGreaterThan(0);
  expect(report.versions.get(versionB)).toBeGreaterThan(0);

  // The published version is complete: every id through the API, and /readyz names it.
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await api.post('/v1/batch/customer', { ids: ids.slice(i, i + 1000) });
    expect(res.body.version).toBe(versionB);
    for (const r of res.body.results)
      expect(r.features, r.customer_id).toEqual(served.get(versionB)!.get(r.customer_id));
  }
  expect((await api.get('/readyz', null)).body.views.customer.version).toBe(versionB);
  // And the scenario happened: shards were loaded again after the loss.
  const scheduled = ((await (await sync.handle).fetchHistory()).events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'loadFeatureShard',
  ).length;
  expect(scheduled).toBeGreaterThan(6);
});

test('after Redis lost everything, version numbers are never reused: a reader never takes a new version for an old one', async () => {
  const seen = [...served.keys()];
  await redis.kill('SIGKILL');
  await redis.start();
  expect(await pointer()).toBeNull();
  // The API process still remembers the old pointer; readers run through the whole next sync.
  const readers = startReaders(api, ids);
  const versionC = await finish(startSync('a', 3));
  const versionD = await finish(startSync('b', 3));
  await new Promise((r) => setTimeout(r, 500));
  const report = await readers.stop();
  for (const v of seen) expect(versionC).toBeGreaterThan(v);
  expect(versionD).toBeGreaterThan(versionC);
  expect(checkAnswers(report, served).slice(0, 5)).toEqual([]);
  const final = await api.post('/v1/batch/customer', { ids: ids.slice(0, 1000) });
  expect(final.body.version).toBe(versionD);
  for (const r of final.body.results) expect(r.features).toEqual(served.get(versionD)!.get(r.customer_id));
});
