// Atomic switch of the online store: API readers hammering during a sync of version N+1 see only
// complete N or complete N+1; a sync SIGKILLed midway leaves N serving, and the next successful
// sync leaves no key of the killed or the replaced version behind; of two syncs running at once,
// the older one can never switch the pointer back over the newer one's version.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateCustomers } from '../../../datagen/customers.js';
import {
  loadViewInProcess,
  publishConflict,
  publishVersion,
  syncViewInProcess,
} from '../../../activities/feature-sync/steps.js';
import type { LoadPlan } from '../../../activities/feature-sync/types.js';
import { ErrorType } from '../../../lib/errors.js';
import { loadConfig, type Config } from '../../../lib/config.js';
import type { Features } from '../../../lib/features/encoding.js';
import { startLocalRedis, type LocalRedis } from '../../../devstack/redis-server.js';
import { FEATURE_VIEWS } from '../../../lib/features/views/index.js';
import { startTestApi, unavailableCauses, type TestApi } from '../../helpers/feature-api.js';
import { readOfflineView } from '../../helpers/feature-oracle.js';
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

async function syncData(name: string, output: string, onProgress?: (n: number) => Promise<void>) {
  const res = await syncViewInProcess(
    config,
    {
      view,
      records: data[name]!.records,
      output,
      runDate: '2025-06-30',
      asOf: AS_OF,
      mode: 'full',
      redisUrl: redis.url,
    },
    onProgress,
  );
  data[name]!.offline ??= await readOfflineView(output, view);
  return res;
}

async function keysByVersion(): Promise<Map<string, number>> {
  const r = new Redis(redis.url);
  const counts = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'COUNT', 5000);
    cursor = next;
    for (const k of keys) {
      const m = /^fs:customer:(v\d+):/.exec(k);
      const bucket = m ? m[1]! : k;
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
  } while (cursor !== '0');
  r.disconnect();
  return counts;
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
  await syncData('a', path.join(dir, 'out-a'));
  ids = [...data.a!.offline!.keys()];
  // A generous Redis timeout: this machine is shared and loaded; a slow answer is not what is tested here.
  api = await startTestApi(redis.url, 10_000);
});
afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

test('readers hammering the API during a sync see only complete version N or complete N+1', async () => {
  const seen = new Map<number, number>();
  const problems: string[] = [];
  let loading = false;
  let running = true;
  let readsDuringLoad = 0;
  const expected = (version: number) => (version === 1 ? data.a!.offline! : data.b?.offline);
  const reader = async (seed: number) => {
    let i = seed;
    while (running) {
      const batch = Array.from({ length: 200 }, () => ids[(i = (i * 7919 + 13) % ids.length)]!);
      const during = loading;
      const res = await api.post('/v1/batch/customer', { ids: batch });
      if (res.status !== 200) {
        problems.push(`status ${res.status} ${JSON.stringify(res.body)}`);
        continue;
      }
      if (during) readsDuringLoad += 1;
      const version = res.body.version as number;
      seen.set(version, (seen.get(version) ?? 0) + 1);
      const want = expected(version);
      for (const r of res.body.results) {
        if (!r.found) problems.push(`v${version}: ${r.customer_id} missing`);
        else if (want && JSON.stringify(r.features) !== JSON.stringify(want.get(r.customer_id)))
          problems.push(`v${version}: ${r.customer_id} has features of another version`);
      }
      const single = await api.get(`/v1/${batch[0]}/customer`);
      if (single.status !== 200) problems.push(`single status ${single.status}`);
      else {
        const w = expected(single.body.version);
        if (w && JSON.stringify(single.body.features) !== JSON.stringify(w.get(batch[0]!)))
          problems.push(`single v${single.body.version}: ${batch[0]} mixed`);
      }
    }
  };
  const readers = Array.from({ length: 6 }, (_, k) => reader(k + 1));
  const result = await syncData('b', path.join(dir, 'out-b'), async () => {
    loading = true;
    await new Promise((r) => setTimeout(r, 150));
  });
  loading = false;
  // Keep reading after the switch, now checked against version 2's offline rows.
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  await Promise.all(readers);
  expect(problems.slice(0, 5).join('\n'), unavailableCauses.slice(0, 3).join('\n')).toBe('');
  expect(result.version).toBe(2);
  expect(readsDuringLoad).toBeGreaterThan(3);
  expect(seen.get(1)).toBeGreaterThan(0);
  expect(seen.get(2)).toBeGreaterThan(0);
  expect([...seen.keys()].sort()).toEqual([1, 2]);
  const keys = await keysByVersion();
  expect(keys.get('v1')).toBeUndefined();
  expect(keys.get('v2')).toBe(ids.length);
});

test('a sync SIGKILLed midway leaves the previous version serving; the next sync cleans up', async () => {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.resolve('test/helpers/feature-sync-child.ts'),
      JSON.stringify({
        scratch: path.join(dir, 'scratch-child'),
        view: 'customer',
        records: data.a!.records,
        output: path.join(dir, 'out-killed'),
        redisUrl: redis.url,
        asOf: AS_OF,
        pauseMs: 2000,
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

  // The killed sync (version 3) left keys behind, but readers still get complete version 2.
  const leftovers = await keysByVersion();
  expect(leftovers.get('v3')).toBeGreaterThan(0);
  expect(leftovers.get('v3')).toBeLessThan(ids.length);
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await api.post('/v1/batch/customer', { ids: ids.slice(i, i + 1000) });
    expect(res.body.version).toBe(2);
    for (const r of res.body.results) expect(r.features).toEqual(data.b!.offline!.get(r.customer_id));
  }

  // The next successful sync (version 4) serves data A again and removes versions 2 and 3.
  const next = await syncData('a', path.join(dir, 'out-a2'));
  expect(next.version).toBe(4);
  expect(next.deletedKeys).toBe(ids.length + leftovers.get('v3')!);
  const keys = await keysByVersion();
  expect(Object.fromEntries(keys)).toEqual({
    v4: ids.length,
    'fs:customer:current': 1,
    'fs:customer:seq': 1,
    'fs:customer:versions': 1,
  });
  const sample = await api.post('/v1/batch/customer', { ids: ids.slice(0, 1000) });
  expect(sample.body.version).toBe(4);
  for (const r of sample.body.results) expect(r.features).toEqual(data.a!.offline!.get(r.customer_id));
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
    return () => publishVersion({ ...input, ...loaded });
  };
  // Both plan and load before either publishes; the later-planned one (B, higher version) publishes first.
  const publishOlder = await steps('b', path.join(dir, 'out-race-b'));
  const publishNewer = await steps('a', path.join(dir, 'out-race-a'));
  const newer = await publishNewer();
  const err = await publishOlder().then(
    () => undefined,
    (e: unknown) => e as { type?: string; message: string },
  );
  expect(err?.type).toBe(ErrorType.Superseded);
  expect(err?.message).toMatch(new RegExp(`version ${newer.version} of customer was published`));
  // The pointer stayed on the newer version, every one of its keys is there and serves data A.
  const keys = await keysByVersion();
  expect(keys.get(`v${newer.version}`)).toBe(ids.length);
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
