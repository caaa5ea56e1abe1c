// Issue 14.6: a feature sync gave up during a 20 s Redis restart (connection refused, then
// "LOADING Redis is loading the dataset in memory"): all 5 attempts spent within ~22 s. Now every
// Redis step waits the outage out (up to DAYBREAK_REDIS_WAIT_SECONDS, 5 minutes by default) and
// runs again; the shards already written survive in the restarted Redis (persistence on) and the
// switch finds them complete. Beyond the configured wait the step fails once, non-retryable,
// naming Redis and the setting. Through the workflow on the suite's Temporal server and a real
// redis-server stopped for 10 s and then LOADING for 10 s more.
import path from 'node:path';
import { Redis } from 'ioredis';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateCustomers } from '../../datagen/customers.js';
import type { FeatureSyncResult } from '../../activities/feature-sync/types.js';
import type { Features } from '../../lib/features/encoding.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';
import { rootCauseOf } from '../../lib/contracts/root-cause.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import { startTestApi, type TestApi } from '../helpers/feature-api.js';
import { readOfflineView } from '../helpers/feature-oracle.js';
import { checkAnswers, startReaders } from '../helpers/feature-readers.js';
import { pingLine, redisProcess, type RedisProcess } from '../helpers/redis-process.js';
import {
  activityStarts,
  startTestWorker,
  tempDir,
  testConfig,
  waitForRunOrExplain,
  type TestWorker,
} from '../helpers/temporal.js';

const view = FEATURE_VIEWS.customer!;
/** Filler keys in the snapshot, each loaded with a 500 us delay: ~10 s of LOADING. */
const FILLER = 20_000;
let dir: string;
let redis: RedisProcess;
let env: TestWorker;
let impatient: TestWorker;
let api: TestApi;
const records: Record<string, string> = {};
const served = new Map<number, Map<string, Features>>();
let run = 0;

beforeAll(async () => {
  dir = tempDir('chaos-fs-restart');
  redis = await redisProcess({ dir, persistence: true });
  await redis.start();
  env = await startTestWorker(testConfig({ REDIS_URL: redis.url, DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1' }));
  impatient = await startTestWorker(testConfig({ REDIS_URL: redis.url, DAYBREAK_REDIS_WAIT_SECONDS: '3' }));
  for (const [name, seed] of [
    ['a', 21],
    ['b', 22],
  ] as const)
    records[name] = (
      await generateCustomers({ records: 3000, seed, out: path.join(dir, `gen-${name}`) })
    ).recordsDir;
  api = await startTestApi(redis.url, 10_000);
});
afterAll(async () => {
  await api?.close();
  await env?.stop();
  await impatient?.stop();
  await redis?.kill();
});

function startSync(worker: TestWorker, data: string, shards: number) {
  const output = path.join(dir, `out-${++run}`);
  const handle = startRun({
    client: worker.client,
    config: worker.config,
    pipeline: 'feature-sync',
    runDate: `2025-05-${String(10 + run).padStart(2, '0')}`,
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
  const result = await waitForRunOrExplain<FeatureSyncResult>(await sync.handle, 150_000);
  const version = result.views[0]!.version;
  served.set(version, await readOfflineView(path.join(sync.output, 'customer'), view));
  return version;
}

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

test('a Redis restart in the middle of a sync (10 s down, then 10 s LOADING): the sync waits, resumes and publishes', async () => {
  const versionA = await finish(startSync(env, 'a', 1));
  const ids = [...served.get(versionA)!.keys()];
  const admin = new Redis(redis.url);
  const filler = admin.pipeline();
  for (let i = 0; i < FILLER; i++) filler.set(`filler:${i}`, 'x');
  await filler.exec();

  const readers = startReaders(api, ids);
  const sync = startSync(env, 'b', 4);
  const handle = await sync.handle;
  await shardsCompleted(handle, 1);
  // Freeze the writers, snapshot what was written so far, and go down.
  await admin.call('CLIENT', 'PAUSE', '30000', 'WRITE');
  await admin.save();
  admin.disconnect();
  const down = Date.now();
  await redis.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 10_000));
  await redis.start(['--key-load-delay', '500', '--loading-process-events-interval-bytes', '1024']);
  expect(await pingLine(redis.port)).toMatch(/^-LOADING/);
  while ((await pingLine(redis.port)) !== '+PONG') await new Promise((r) => setTimeout(r, 200));
  const outage = Date.now() - down;

  const versionB = await finish(sync);
  await new Promise((r) => setTimeout(r, 500));
  const report = await readers.stop();
  expect(outage).toBeGreaterThan(18_000);
  // No attempt was spent on the outage: every activity ran once, waiting inside.
  const starts = await activityStarts(env.client, handle.workflowId);
  expect(starts.filter((s) => s.attempt > 1)).toEqual([]);
  // The previous version served until the switch (503 while Redis was away), then the new one.
  expect(checkAnswers(report, served).slice(0, 5)).toEqual([]);
  expect(report.versions.get(versionA)).toBeGreaterThan(0);
  const res = await api.post('/v1/batch/customer', { ids: ids.slice(0, 1000) });
  expect(res.body.version).toBe(versionB);
  for (const r of res.body.results) expect(r.features).toEqual(served.get(versionB)!.get(r.customer_id));
});

test('an outage longer than DAYBREAK_REDIS_WAIT_SECONDS: the step fails once, non-retryable, naming Redis and the setting', async () => {
  await redis.kill('SIGKILL');
  try {
    const sync = startSync(impatient, 'a', 1);
    const handle = await sync.handle;
    const err = await waitForRun(handle).then(
      () => undefined,
      (e: unknown) => e,
    );
    const cause = rootCauseOf(err);
    expect(cause.type).toBe('RedisUnavailable');
    expect(cause.message).toMatch(
      /^Redis at 127\.0\.0\.1:\d+ did not come back within 3 s \(DAYBREAK_REDIS_WAIT_SECONDS\): .*ECONNREFUSED/,
    );
    const plans = (await activityStarts(impatient.client, handle.workflowId)).filter(
      (s) => s.type === 'planFeatureLoad',
    );
    expect(plans.map((p) => p.attempt)).toEqual([1]);
  } finally {
    await redis.start();
  }
});
