// Upgrading from the key-per-entity layout of earlier releases: the API serves the legacy version
// the pointer names (decimal timestamps, MGET) until the next sync; a sync planned by the earlier
// release cannot be continued (a clear non-retryable error; the legacy version keeps serving); the
// next sync writes hash buckets (full, whatever mode was asked, saying why), readers see only
// complete versions across the switch, and the legacy keys are removed through the ids of the
// legacy version's offline output, never a SCAN.
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateCustomers } from '../../../datagen/customers.js';
import { writeLegacyVersion } from '../../../bench/feature-sync/legacy.js';
import {
  computeView,
  loadShard,
  publishVersion,
  syncViewInProcess,
} from '../../../activities/feature-sync/steps.js';
import type { ComputedView, LoadPlan } from '../../../activities/feature-sync/types.js';
import { loadConfig, type Config } from '../../../lib/config.js';
import { ErrorType } from '../../../lib/errors.js';
import type { Features } from '../../../lib/features/encoding.js';
import { FEATURE_VIEWS } from '../../../lib/features/views/index.js';
import { startLocalRedis, type LocalRedis } from '../../../devstack/redis-server.js';
import { startTestApi, type TestApi } from '../../helpers/feature-api.js';
import { readOfflineView } from '../../helpers/feature-oracle.js';
import { checkAnswers, startReaders } from '../../helpers/feature-readers.js';
import { publishedOnly, storeContents } from '../../helpers/online-store.js';
import { tempDir } from '../../helpers/temporal.js';

const view = FEATURE_VIEWS.customer!;
const AS_OF = '2025-07-01T00:00:00.000Z';
const LEGACY_VERSION = 41;
let dir: string;
let config: Config;
let redis: LocalRedis;
let api: TestApi;
let legacy: ComputedView;
let ids: string[];
const served = new Map<number, Map<string, Features>>();
let recordsB: string;

beforeAll(async () => {
  dir = tempDir('fs-upgrade');
  config = loadConfig({ DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch'), DAYBREAK_DUCKDB_THREADS: '1' });
  redis = await startLocalRedis();
  const a = await generateCustomers({ records: 4000, seed: 31, out: path.join(dir, 'gen-a') });
  recordsB = (await generateCustomers({ records: 4000, seed: 32, out: path.join(dir, 'gen-b') })).recordsDir;
  // What the earlier release left: its offline output and its published key-per-entity version.
  legacy = await computeView(config, {
    view,
    records: a.recordsDir,
    output: path.join(dir, 'out-legacy'),
    runDate: '2025-06-30',
    asOf: AS_OF,
  });
  await writeLegacyVersion({
    view,
    version: LEGACY_VERSION,
    files: legacy.files,
    redisUrl: redis.url,
    scratchDir: config.DAYBREAK_SCRATCH_DIR,
    asOf: AS_OF,
    offline: legacy.offline,
    fingerprint: legacy.fingerprint,
  });
  served.set(LEGACY_VERSION, await readOfflineView(legacy.offline, view));
  ids = [...served.get(LEGACY_VERSION)!.keys()];
  api = await startTestApi(redis.url, 10_000);
});
afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

test('the API serves the legacy version the pointer names, every entity as the earlier release wrote it', async () => {
  expect((await api.get('/readyz', null)).body.views.customer.version).toBe(LEGACY_VERSION);
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await api.post('/v1/batch/customer', { ids: ids.slice(i, i + 1000) });
    expect(res.body.version).toBe(LEGACY_VERSION);
    for (const r of res.body.results)
      expect(r.features).toEqual(served.get(LEGACY_VERSION)!.get(r.customer_id));
  }
  const one = await api.get(`/v1/${ids[0]}/customer`);
  expect(one.body).toEqual({
    view: 'customer',
    customer_id: ids[0],
    version: LEGACY_VERSION,
    asOf: AS_OF,
    features: served.get(LEGACY_VERSION)!.get(ids[0]!),
  });
});

test('a sync planned by the earlier release (no bucket count) stops with IncompatiblePlan; the legacy version keeps serving', async () => {
  const oldPlan: LoadPlan = {
    view: 'customer',
    version: LEGACY_VERSION + 1,
    mode: 'full',
    layers: [LEGACY_VERSION + 1],
    baseWrittenAt: AS_OF,
    asOf: AS_OF,
    shards: 1,
  };
  const input = { view, plan: oldPlan, files: legacy.files, shard: 0, redisUrl: redis.url };
  for (const step of [
    () => loadShard(config, input),
    () =>
      publishVersion(config, {
        ...input,
        computed: legacy,
        loads: [{ shard: 0, written: 1, tombstones: 0 }],
      }),
  ]) {
    const err = (await step().then(
      () => undefined,
      (e: unknown) => e,
    )) as { type?: string; nonRetryable?: boolean; message: string };
    expect(err?.type).toBe(ErrorType.IncompatiblePlan);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(/planned by an earlier Daybreak release .* run the sync again/);
  }
  expect((await api.get(`/v1/${ids[0]}/customer`)).body.version).toBe(LEGACY_VERSION);
});

test('the next sync writes hash buckets, switches without a torn read, and removes every legacy key', async () => {
  const before = await storeContents(redis.url, 'customer');
  expect(before.legacyKeys.get(LEGACY_VERSION)).toBe(ids.length);
  const readers = startReaders(api, ids);
  const output = path.join(dir, 'out-new');
  const result = await syncViewInProcess(config, {
    view,
    records: recordsB,
    output,
    runDate: '2025-06-30',
    asOf: AS_OF,
    mode: 'incremental',
    redisUrl: redis.url,
  });
  served.set(result.version, await readOfflineView(path.join(output), view));
  await new Promise((r) => setTimeout(r, 300));
  const report = await readers.stop();
  expect(checkAnswers(report, served).slice(0, 5)).toEqual([]);
  expect([...report.versions.keys()]).toContain(result.version);

  expect(result.mode).toBe('full');
  expect(result.reason).toBe('the published version has the key-per-entity layout of an earlier release');
  expect(result.version).toBeGreaterThan(LEGACY_VERSION);
  expect(result.removedVersions).toEqual([LEGACY_VERSION]);
  expect(result.deletedKeys).toBe(ids.length);
  const after = await storeContents(redis.url, 'customer');
  expect(after.legacyKeys.size).toBe(0);
  expect([...after.entities]).toEqual([[result.version, served.get(result.version)!.size]]);
  expect(after.other).toEqual(publishedOnly('customer', result.version));
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await api.post('/v1/batch/customer', { ids: ids.slice(i, i + 1000) });
    expect(res.body.version).toBe(result.version);
    for (const r of res.body.results)
      expect(r.features).toEqual(served.get(result.version)!.get(r.customer_id));
  }
});
