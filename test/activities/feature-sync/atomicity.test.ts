// Atomic switch of the online store (hash buckets): API readers hammering during a full and an
// incremental sync of version N+1 see only complete N or complete N+1, also while N's keys are
// removed after the switch; a sync SIGKILLed midway leaves N serving, and the next successful sync
// leaves no key of the killed or the replaced version behind (found through the per-version
// index); of two syncs running at once, the older one can never switch the pointer back over the
// newer one's version.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateCustomers } from '../../../datagen/customers.js';
import {
  loadViewInProcess,
  publishConflict,
  publishInProcess,
  syncViewInProcess,
} from '../../../activities/feature-sync/steps.js';
import type { LoadPlan, SyncMode } from '../../../activities/feature-sync/types.js';
import { ErrorType } from '../../../lib/errors.js';
import { loadConfig, type Config } from '../../../lib/config.js';
import type { Features } from '../../../lib/features/encoding.js';
import { startLocalRedis, type LocalRedis } from '../../../devstack/redis-server.js';
import { FEATURE_VIEWS } from '../../../lib/features/views/index.js';
import { startTestApi, unavailableCauses, type TestApi } from '../../helpers/feature-api.js';
import { readOfflineView } from '../../helpers/feature-oracle.js';
import { checkAnswers, startReaders } from '../../helpers/feature-readers.js';
import { publishedOnly, storeContents } from '../../helpers/online-store.js';
import { tempDir } from '../../helpers/temporal.js';

const view = FEATURE_VIEWS.customer!;
const AS_OF = '2025-07-01T00:00:00.000Z';
const N = 12_000;
let dir: string;
let redis: LocalRedis;
let api: TestApi;
let config: Config;
const data: Record<string, { records: string; offline?: Map<string, Features> }> = {};
let ids: string[];
let versionA: number;
let versionB: number;

/** The offline rows each published version was loaded from, by version. */
const served = new Map<number, Map<string, Features>>();

async function syncData(
  name: string,
  output: string,
  onProgress?: (n: number) => Promise<void>,
  mode: SyncMode = 'full',
) {
  const res = await syncViewInProcess(
    config,
    {
      view,
      records: data[name]!.records,
      output,
      runDate: '2025-06-30',
      asOf: AS_OF,
      mode,
      redisUrl: redis.url,
    },
    onProgress,
  );
  data[name]!.offline ??= await readOfflineView(output, view);
  served.set(res.version, data[name]!.offline!);
  return res;
}

/**
 * API readers (test/helpers/feature-readers.ts) while `during` runs and half a second after; how
 * many answers came while the load ran (from its first progress report to its end).
 */
async function hammer<T>(during: (markLoading: () => void) => Promise<T>) {
  const readers = startReaders(api, ids, { readers: 6 });
  let atMark: number | undefined;
  const result = await during(() => (atMark ??= readers.report.answers.length));
  const readsDuringLoad = readers.report.answers.length - (atMark ?? Infinity);
  await new Promise((r) => setTimeout(r, 500));
  const report = await readers.stop();
  return { result, seen: report.versions, problems: checkAnswers(report, served), readsDuringLoad };
}

beforeAll(async () => {
  dir = tempDir('fs-atomic');
  config = loadConfig({ DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch'), DAYBREAK_DUCKDB_THREADS: '1' });
  redis = await startLocalRedis();
  // Same record ids (each record its own customer), different features: every id tells versions apart.
  for (const [name, seed] of [
    ['a', 1],
    ['b', 2],
  ] as const) {
    const gen = await generateCustomers({ records: N, seed, out: path.join(dir, `gen-${name}`) });
    data[name] = { records: gen.recordsDir };
  }
  versionA = (await syncData('a', path.join(dir, 'out-a'))).version;
  ids = [...data.a!.offline!.keys()];
  // A generous Redis timeout: this machine is shared and loaded; a slow answer is not what is tested here.
  api = await startTestApi(redis.url, 10_000);
});
afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

test('readers hammering the API during a full sync see only complete version N or complete N+1', async () => {
  const slowly = (mark: () => void) => async () => {
    mark();
    await new Promise((r) => setTimeout(r, 1000));
  };
  const { result, seen, problems, readsDuringLoad } = await hammer((mark) =>
    syncData('b', path.join(dir, 'out-b'), slowly(mark)),
  );
  expect(problems.slice(0, 5).join('\n'), unavailableCauses.slice(0, 3).join('\n')).toBe('');
  versionB = result.version;
  expect(versionB).toBeGreaterThan(versionA);
  expect(result.removedVersions).toEqual([versionA]);
  expect(readsDuringLoad).toBeGreaterThan(3);
  expect(seen.get(versionA)).toBeGreaterThan(0);
  expect(seen.get(versionB)).toBeGreaterThan(0);
  expect([...seen.keys()].sort()).toEqual([versionA, versionB]);
  const store = await storeContents(redis.url, 'customer');
  expect([...store.entities]).toEqual([[versionB, ids.length]]);
  expect(store.other).toEqual(publishedOnly('customer', versionB));
  expect([...store.index.keys()]).toEqual([versionB]);
});

test('readers hammering the API during an incremental sync see only complete N or complete N+1', async () => {
  // Data A's records again, on top of version B: every entity differs, written into one layer.
  data.a2 = { records: data.a!.records };
  const { result, seen, problems, readsDuringLoad } = await hammer((mark) =>
    syncData(
      'a2',
      path.join(dir, 'out-a-incremental'),
      async () => {
        mark();
        await new Promise((r) => setTimeout(r, 1000));
      },
      'incremental',
    ),
  );
  expect(problems.slice(0, 5).join('\n'), unavailableCauses.slice(0, 3).join('\n')).toBe('');
  expect(result.mode).toBe('incremental');
  expect(result.layers).toEqual([result.version, versionB]);
  expect(result.removedVersions).toEqual([]);
  expect(readsDuringLoad).toBeGreaterThan(3);
  expect([...seen.keys()].sort()).toEqual([versionB, result.version]);
  const store = await storeContents(redis.url, 'customer');
  expect(store.entities.get(versionB)).toBe(ids.length);
  expect(store.entities.get(result.version)).toBe(result.written);
});

test('a sync SIGKILLed midway leaves the previous version serving; the next sync cleans up', async () => {
  const before = await storeContents(redis.url, 'customer');
  const serving = (await api.get('/readyz', null)).body.views.customer.version as number;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.resolve('test/helpers/feature-sync-child.ts'),
      JSON.stringify({
        scratch: path.join(dir, 'scratch-child'),
        view: 'customer',
        records: data.b!.records,
        output: path.join(dir, 'out-killed'),
        redisUrl: redis.url,
        asOf: AS_OF,
        pauseMs: 2000,
        shards: 2,
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('loading')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sync child exited early with code ${code}`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  // The killed sync left part of its version behind (registered in the index since its plan),
  // but readers still get the complete version that was serving.
  const leftovers = await storeContents(redis.url, 'customer');
  const killed = Math.max(...leftovers.index.keys());
  expect(leftovers.index.get(killed)?.state).toBe('loading');
  expect(leftovers.entities.get(killed)).toBeGreaterThan(0);
  expect(leftovers.entities.get(killed)).toBeLessThan(ids.length);
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await api.post('/v1/batch/customer', { ids: ids.slice(i, i + 1000) });
    expect(res.body.version).toBe(serving);
    for (const r of res.body.results) expect(r.features).toEqual(served.get(serving)!.get(r.customer_id));
  }

  // The next successful sync serves data B and removes every older version: the serving layers
  // and the killed sync's leftovers.
  const next = await syncData('b', path.join(dir, 'out-b2'));
  expect(next.version).toBeGreaterThan(killed);
  expect(next.removedVersions).toEqual([...before.index.keys(), killed].sort((a, b) => a - b));
  const bucketKeysBefore = [...leftovers.bucketKeys.values()].reduce((a, b) => a + b, 0);
  expect(next.deletedKeys).toBe(bucketKeysBefore);
  const after = await storeContents(redis.url, 'customer');
  expect([...after.entities]).toEqual([[next.version, ids.length]]);
  expect(after.other).toEqual(publishedOnly('customer', next.version));
  expect([...after.index.keys()]).toEqual([next.version]);
  const sample = await api.post('/v1/batch/customer', { ids: ids.slice(0, 1000) });
  expect(sample.body.version).toBe(next.version);
  for (const r of sample.body.results) expect(r.features).toEqual(data.b!.offline!.get(r.customer_id));
});

test('two syncs of one view at once: the one finishing last but older fails Superseded, the newer version keeps serving', async () => {
  // Everything but the switch; the returned function publishes.
  const steps = async (name: string, output: string) => {
    const input = {
      view,
      records: data[name]!.records,
      output,
      runDate: '2025-06-30',
      asOf: AS_OF,
      mode: 'full' as const,
      redisUrl: redis.url,
    };
    const loaded = await loadViewInProcess(config, input);
    return () => publishInProcess(config, { ...input, ...loaded });
  };
  // Both plan and load before either publishes; the later-planned one (A, higher version) publishes first.
  const publishOlder = await steps('b', path.join(dir, 'out-race-b'));
  const publishNewer = await steps('a', path.join(dir, 'out-race-a'));
  const newer = await publishNewer();
  const err = await publishOlder().then(
    () => undefined,
    (e: unknown) => e as { type?: string; message: string },
  );
  expect(err?.type).toBe(ErrorType.Superseded);
  expect(err?.message).toMatch(new RegExp(`version ${newer.version} of customer was published`));
  // The pointer stayed on the newer version, every one of its entities is there and serves data A.
  const store = await storeContents(redis.url, 'customer');
  expect(store.entities.get(newer.version)).toBe(ids.length);
  const sample = await api.post('/v1/batch/customer', { ids: ids.slice(0, 1000) });
  expect(sample.body.version).toBe(newer.version);
  for (const r of sample.body.results) expect(r.features).toEqual(data.a!.offline!.get(r.customer_id));
});

test('publishConflict: retried publish, newer pointer, incremental base moved or gone', () => {
  const plan = (version: number, layers: number[]): LoadPlan => ({
    view: 'customer',
    version,
    mode: layers.length > 1 ? 'incremental' : 'full',
    layers,
    baseWrittenAt: AS_OF,
    asOf: AS_OF,
    shards: 1,
    buckets: 1,
  });
  const ptr = (version: number, layers = [version]) => ({ version, asOf: AS_OF, layers });
  expect(publishConflict(plan(5, [5]), undefined)).toBeUndefined();
  expect(publishConflict(plan(5, [5]), ptr(4))).toBeUndefined();
  expect(publishConflict(plan(5, [5]), ptr(5))).toBeUndefined(); // a retry after the switch
  expect(publishConflict(plan(5, [5]), ptr(6))).toMatch(/version 6 of customer was published/);
  expect(publishConflict(plan(5, [5, 3]), ptr(3))).toBeUndefined();
  expect(publishConflict(plan(5, [5, 4, 3]), ptr(4, [4, 3]))).toBeUndefined();
  expect(publishConflict(plan(5, [5, 3]), ptr(4))).toMatch(/built on layers 3.*version 4 with layers 4/);
  expect(publishConflict(plan(5, [5, 3]), undefined)).toMatch(/built on layers 3.*gone/);
});
