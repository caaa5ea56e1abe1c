// feature-sync end to end on the suite's Temporal dev server and a real redis-server: a full sync
// of generated records (+ clusters) publishes Parquet equal to an independent TypeScript
// computation, every entity read back through the HTTP API equals its offline row, and an
// incremental sync writes exactly the changed entities and ends equal to a full sync (both split
// into load shards).
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateCustomers } from '../../datagen/customers.js';
import type { FeatureSyncResult } from '../../activities/feature-sync/types.js';
import { sqlString } from '../../lib/duckdb.js';
import { OnlineReader } from '../../lib/features/online.js';
import { RespClient } from '../../lib/features/resp-client.js';
import { startLocalRedis, type LocalRedis } from '../../devstack/redis-server.js';
import type { Features } from '../../lib/features/encoding.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import { startTestApi, type TestApi } from '../helpers/feature-api.js';
import { oracleViews, readClusters, readOfflineView, readRecords } from '../helpers/feature-oracle.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

const RUN_DATE = '2025-06-30';
const AS_OF = '2025-07-01T00:00:00.000Z';
let env: TestWorker;
let redis: LocalRedis;
let redisB: LocalRedis;
let api: TestApi;
let dir: string;
let recordsA: string;
let recordsB: string;
let clusters: string;

async function sql(q: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(q);
  conn.closeSync();
  instance.closeSync();
}

beforeAll(async () => {
  dir = tempDir('feature-sync');
  redis = await startLocalRedis();
  redisB = await startLocalRedis();
  env = await startTestWorker(testConfig({ REDIS_URL: redis.url }));
  const gen = await generateCustomers({ records: 3000, seed: 5, out: path.join(dir, 'gen') });
  recordsA = gen.recordsDir;
  clusters = path.join(dir, 'clusters.parquet');
  await sql(`COPY (SELECT record_id, person_id AS identity_id FROM read_parquet(${sqlString(gen.labelsFile)}))
             TO ${sqlString(clusters)} (FORMAT parquet)`);
  // Day 2: 5% of records gone, 5% with a changed email domain, the rest as they were.
  recordsB = path.join(dir, 'records-b');
  await sql(`COPY (SELECT * REPLACE (CASE WHEN md5_number(record_id) % 20 = 1 THEN 'someone@changed-domain.example'
                                        ELSE email END AS email)
                   FROM read_parquet(${sqlString(`${recordsA}/*.parquet`)}) WHERE md5_number(record_id) % 20 <> 0)
             TO ${sqlString(recordsB)} (FORMAT parquet, FILENAME_PATTERN 'part-{i}', PER_THREAD_OUTPUT false)`);
  api = await startTestApi(redis.url);
});
afterAll(async () => {
  await api?.close();
  await env?.stop();
  await redis?.stop();
  await redisB?.stop();
});

async function sync(params: Record<string, string>): Promise<FeatureSyncResult> {
  const handle = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'feature-sync',
    runDate: RUN_DATE,
    rawParams: { clusters: params.clusters ?? clusters, ...params },
  });
  return waitForRun<FeatureSyncResult>(handle);
}

/** Every id through the batch endpoint (1,000 per request): id -> features, or null if absent. */
async function readAll(view: string, ids: string[]): Promise<Map<string, Features | null>> {
  const out = new Map<string, Features | null>();
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await api.post(`/v1/batch/${view}`, { ids: ids.slice(i, i + 1000) });
    expect(res.status).toBe(200);
    for (const r of res.body.results) out.set(r[FEATURE_VIEWS[view]!.key], r.found ? r.features : null);
  }
  return out;
}

let offlineA: Record<string, Map<string, Features>>;

test('a full sync publishes Parquet equal to an independent computation, and the API serves every row', async () => {
  const out = path.join(dir, 'out-a');
  const result = await sync({ records: recordsA, output: out, mode: 'full' });
  const oracle = oracleViews(await readRecords(`${recordsA}/*.parquet`), await readClusters(clusters), AS_OF);
  offlineA = {};
  for (const name of ['customer', 'address'] as const) {
    const view = FEATURE_VIEWS[name]!;
    const manifest = await readManifest(path.join(out, name));
    expect(manifest?.report?.view).toBe(name);
    const offline = await readOfflineView(path.join(out, name), view);
    offlineA[name] = offline;
    expect(offline.size).toBe(oracle[name].size);
    for (const [id, features] of oracle[name]) expect(offline.get(id), `${name} ${id}`).toEqual(features);
    const published = result.views.find((v) => v.view === name)!;
    expect(published).toMatchObject({
      mode: 'full',
      entities: offline.size,
      written: offline.size,
      layers: [published.version],
    });

    const served = await readAll(name, [...offline.keys()]);
    for (const [id, features] of offline) expect(served.get(id), `${name} ${id}`).toEqual(features);
    // Single lookups carry the version and as-of time.
    for (const id of [...offline.keys()].slice(0, 100)) {
      const res = await api.get(`/v1/${id}/${name}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        view: name,
        [view.key]: id,
        version: published.version,
        asOf: AS_OF,
        features: offline.get(id),
      });
    }
  }
  // Clusters were used: customers are identities, fewer than records.
  expect(offlineA.customer!.size).toBeLessThan(3000);
});

test('an incremental sync writes only changed entities and ends equal to a full sync (both in 3 shards)', async () => {
  // 3 load shards each: every entity is written by exactly one shard (written counts add up).
  const out = path.join(dir, 'out-b');
  const result = await sync({ records: recordsB, output: out, mode: 'incremental', shards: '3' });
  const fullB = await sync({
    records: recordsB,
    output: path.join(dir, 'out-b-full'),
    mode: 'full',
    redisUrl: redisB.url,
    shards: '3',
  });
  for (const name of ['customer', 'address'] as const) {
    const view = FEATURE_VIEWS[name]!;
    const offlineB = await readOfflineView(path.join(out, name), view);
    // Expected writes, computed independently: entities whose features differ, plus removed ones.
    const before = offlineA[name]!;
    let changed = 0;
    let removed = 0;
    for (const [id, f] of offlineB) if (JSON.stringify(before.get(id)) !== JSON.stringify(f)) changed += 1;
    for (const id of before.keys()) if (!offlineB.has(id)) removed += 1;
    const published = result.views.find((v) => v.view === name)!;
    expect(published.mode).toBe('incremental');
    expect(changed).toBeGreaterThan(0);
    expect(removed).toBeGreaterThan(0);
    expect(changed + removed).toBeLessThan(offlineB.size / 2);
    expect(published.written).toBe(changed + removed);
    expect(published.tombstones).toBe(removed);
    expect(published.layers).toHaveLength(2);

    const ids = [...new Set([...before.keys(), ...offlineB.keys()])];
    const served = await readAll(name, ids);
    for (const id of ids) expect(served.get(id), `${name} ${id}`).toEqual(offlineB.get(id) ?? null);

    // The same values as a full sync of the same data in another Redis.
    const a = new RespClient(redis.url);
    const b = new RespClient(redisB.url);
    try {
      await Promise.all([a.ready(), b.ready()]);
      const [readA, readB] = [new OnlineReader(a), new OnlineReader(b)];
      for (let i = 0; i < ids.length; i += 1000) {
        const batch = ids.slice(i, i + 1000);
        expect((await readA.lookup(name, batch))!.values).toEqual((await readB.lookup(name, batch))!.values);
      }
    } finally {
      a.close();
      b.close();
    }
    expect(fullB.views.find((v) => v.view === name)!.written).toBe(offlineB.size);
  }
});

test("without a clusters parameter the date's published model-scoring output is used, else none", async () => {
  const prefix = path.join(env.config.DAYBREAK_DATA_ROOT, 'curated', 'model-scoring', `dt=${RUN_DATE}`);
  const run = (output: string) =>
    startRun({
      client: env.client,
      config: env.config,
      pipeline: 'feature-sync',
      runDate: RUN_DATE,
      rawParams: { records: recordsA, output, views: 'customer', redisUrl: redisB.url },
    }).then((h) => waitForRun<FeatureSyncResult>(h));
  const before = await run(path.join(dir, 'out-auto-none'));
  expect(before.views[0]!.clusters).toBeUndefined();
  expect(before.views[0]!.entities).toBe(3000);
  // model-scoring publishes clusters/part-00000.parquet under its prefix with a manifest.
  await publishLocalFiles(prefix, { pipeline: 'model-scoring', runDate: RUN_DATE }, [
    { localPath: clusters, name: 'clusters/part-00000.parquet', rows: 3000 },
  ]);
  const after = await run(path.join(dir, 'out-auto'));
  expect(after.views[0]!.clusters).toBe(path.join(prefix, 'clusters'));
  expect(after.views[0]!.entities).toBe(offlineA.customer!.size);
});
