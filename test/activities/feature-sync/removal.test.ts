// Paced cleanup on a real redis-server: removing old versions through the per-version index
// UNLINKs every bucket key and the complete marker of exactly those versions (not the kept layers,
// not a newer version in flight, not other keys), in batches of the pacing's size with its pause
// after each; the count check before a switch is paced the same way and still sums right.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { countShards, removeOldVersions } from '../../../activities/feature-sync/steps.js';
import { paced, type CleanupPacing } from '../../../activities/feature-sync/pacing.js';
import { loadConfig } from '../../../lib/config.js';
import { bucketKey, completeKey, versionsKey, type VersionMeta } from '../../../lib/features/keys.js';
import { startLocalRedis, type LocalRedis } from '../../../devstack/redis-server.js';

const VIEW = 'paced';
const BUCKETS = 10;
/** 3 keys per UNLINK: 10 buckets take 4 batches, then one UNLINK of the complete marker. */
const PACING: CleanupPacing = { unlinkBatch: 3, countBatch: 3, pauseFactor: 0, minPauseMs: 25 };
let server: LocalRedis;
let redis: Redis;

beforeAll(async () => {
  server = await startLocalRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});
beforeEach(async () => {
  await redis.flushall();
});

/** Writes `entities` ids into `filled` of the version's buckets, its marker and its index entry. */
async function writeVersion(version: number, filled: number, entities = 2) {
  for (let b = 0; b < filled; b++)
    for (let e = 0; e < entities; e++) await redis.hset(bucketKey(VIEW, version, b), `id-${b}-${e}`, 'v');
  await redis.set(completeKey(VIEW, version), String(filled * entities));
  const meta: VersionMeta = {
    state: 'loading',
    version,
    buckets: BUCKETS,
    plannedAt: '2025-07-01T00:00:00Z',
  };
  await redis.hset(versionsKey(VIEW), String(version), JSON.stringify(meta));
}

async function unlinkCalls(): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/cmdstat_unlink:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

test('removal UNLINKs every key of the old versions and only those, in paced batches', async () => {
  await writeVersion(1, 6); // a killed sync's leftovers: 6 of its 10 buckets written
  await writeVersion(2, BUCKETS); // the version the switch replaced
  await writeVersion(3, BUCKETS); // the base layer the new pointer keeps
  await writeVersion(4, BUCKETS); // the new version (layers 4, 3)
  await writeVersion(20, 4); // a newer sync in flight: v20's keys share v2's prefix digits
  await redis.set('fs:other:v1:b0', 'x');
  const before = new Set(await redis.keys('*'));
  await redis.config('RESETSTAT');

  const progress: string[] = [];
  const start = performance.now();
  const removed = await removeOldVersions(
    loadConfig({}),
    redis,
    VIEW,
    4,
    [4, 3],
    (step) => progress.push(step),
    PACING,
  );
  const ms = performance.now() - start;

  expect(removed).toEqual({ versions: [1, 2], keys: 6 + BUCKETS });
  expect(progress).toEqual(['removing version 1', 'removing version 2']);
  const gone = [1, 2].flatMap((v) => [
    ...Array.from({ length: BUCKETS }, (_, b) => bucketKey(VIEW, v, b)),
    completeKey(VIEW, v),
  ]);
  const expected = [...before].filter((k) => !gone.includes(k)).sort();
  expect((await redis.keys('*')).sort()).toEqual(expected);
  expect(Object.keys(await redis.hgetall(versionsKey(VIEW))).sort()).toEqual(['20', '3', '4']);
  // Per version: ceil(10 / 3) = 4 batches of bucket keys, each followed by the pause, then the marker.
  expect(await unlinkCalls()).toBe(2 * 5);
  expect(ms).toBeGreaterThanOrEqual(2 * 4 * PACING.minPauseMs - 1);
});

test('the count check sums every bucket of every shard, one paced script per countBatch buckets', async () => {
  for (let b = 0; b < BUCKETS; b++)
    for (let e = 0; e <= b; e++) await redis.hset(bucketKey(VIEW, 7, b), `id-${b}-${e}`, 'v');
  await redis.config('RESETSTAT');
  const start = performance.now();
  // Shard s holds buckets b % 2 = s: 1+3+5+7+9 and 2+4+6+8+10 entities.
  expect(await countShards(redis, VIEW, 7, BUCKETS, 2, PACING)).toEqual([25, 30]);
  const ms = performance.now() - start;
  const stats = await redis.info('commandstats');
  // 5 buckets per shard, 3 per script: 2 scripts per shard.
  expect(Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1])).toBe(4);
  expect(ms).toBeGreaterThanOrEqual(4 * PACING.minPauseMs - 1);
});

test('the pause after a command is pauseFactor times its round trip', async () => {
  const start = performance.now();
  const value = await paced({ unlinkBatch: 1, countBatch: 1, pauseFactor: 4, minPauseMs: 0 }, async () => {
    await redis.eval(
      "local t = redis.call('TIME') local s = t[1] * 1e6 + t[2] while true do local n = redis.call('TIME') if n[1] * 1e6 + n[2] - s > 40000 then return 'done' end end",
      0,
    );
    return 'ok';
  });
  expect(value).toBe('ok');
  // A 40 ms command, then at least 4 x 40 ms of pause.
  expect(performance.now() - start).toBeGreaterThanOrEqual(5 * 40 - 1);
});
