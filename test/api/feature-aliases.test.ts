// Merged-away customer ids through the real API on a real redis-server: feature-sync loads the
// alias table into the version (only aliases whose survivor is a customer and whose old id is
// not one), the API answers an alias with its survivor's features and `aliasOf`, and readers
// hammering an alias while an incremental sync re-points it see, in every answer, the alias and
// the survivor's features of one and the same version.
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateCustomers } from '../../datagen/customers.js';
import { syncViewInProcess } from '../../activities/feature-sync/steps.js';
import type { SyncMode } from '../../activities/feature-sync/types.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { sqlString } from '../../lib/duckdb.js';
import type { Features } from '../../lib/features/encoding.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';
import { startLocalRedis, type LocalRedis } from '../../devstack/redis-server.js';
import { startTestApi, unavailableCauses, type TestApi } from '../helpers/feature-api.js';
import { readOfflineView } from '../helpers/feature-oracle.js';
import { storeContents } from '../helpers/online-store.js';
import { tempDir } from '../helpers/temporal.js';

const view = FEATURE_VIEWS.customer!;
let dir: string;
let config: Config;
let redis: LocalRedis;
let api: TestApi;
const records: Record<string, string> = {};

async function writeAliases(name: string, rows: [string, string][]): Promise<string> {
  const file = path.join(dir, `aliases-${name}.parquet`);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT * FROM (VALUES ${rows.map(([o, i]) => `('${o}', '${i}', DATE '2025-06-01')`).join(', ')})
                   t(old_identity_id, identity_id, merged_on)) TO ${sqlString(file)} (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
  return file;
}

async function sync(name: string, aliases: string, mode: SyncMode) {
  const output = path.join(dir, `out-${name}`);
  const res = await syncViewInProcess(config, {
    view,
    records: records[name]!,
    aliases,
    output,
    runDate: '2025-06-30',
    asOf: '2025-07-01T00:00:00.000Z',
    mode,
    redisUrl: redis.url,
  });
  return { res, offline: await readOfflineView(output, view) };
}

let v1: { res: Awaited<ReturnType<typeof syncViewInProcess>>; offline: Map<string, Features> };

beforeAll(async () => {
  dir = tempDir('feature-aliases');
  config = loadConfig({ DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch'), DAYBREAK_DUCKDB_THREADS: '1' });
  redis = await startLocalRedis();
  // Same record ids (each record its own customer), different features on the second day.
  for (const [name, seed] of [
    ['a', 3],
    ['b', 4],
  ] as const)
    records[name] = (
      await generateCustomers({ records: 2000, seed, out: path.join(dir, `gen-${name}`) })
    ).recordsDir;
  const aliasesA = await writeAliases('a', [
    ['gone-1', 'c000000001'],
    ['gone-2', 'c000000002'],
    ['c000000003', 'c000000004'], // an old id that is a customer itself: left out
    ['gone-3', 'nobody'], // a survivor that is no customer: left out
  ]);
  v1 = await sync('a', aliasesA, 'full');
  api = await startTestApi(redis.url, 10_000);
});
afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

test('an alias answers with its survivor, the survivor and other customers as before', async () => {
  expect(v1.res.aliasRows).toBe(2);
  expect(v1.res.entities).toBe(2000);
  // The alias entries are in the version's buckets, counted with its entities.
  const store = await storeContents(redis.url, 'customer');
  expect([...store.entities]).toEqual([[v1.res.version, 2002]]);
  const alias = await api.get('/v1/gone-1/customer');
  expect(alias.status).toBe(200);
  expect(alias.body).toEqual({
    view: 'customer',
    customer_id: 'gone-1',
    aliasOf: 'c000000001',
    version: v1.res.version,
    asOf: '2025-07-01T00:00:00.000Z',
    features: v1.offline.get('c000000001'),
  });
  const survivor = await api.get('/v1/c000000001/customer');
  expect(survivor.body).toEqual({ ...alias.body, customer_id: 'c000000001', aliasOf: undefined });
  expect(survivor.body).not.toHaveProperty('aliasOf');
  const own = await api.get('/v1/c000000003/customer');
  expect(own.body.features).toEqual(v1.offline.get('c000000003'));
  expect(own.body).not.toHaveProperty('aliasOf');
  expect((await api.get('/v1/gone-3/customer')).status).toBe(404);
  const batch = await api.post('/v1/batch/customer', { ids: ['gone-2', 'gone-3', 'c000000002'] });
  expect(batch.body.results).toEqual([
    { customer_id: 'gone-2', aliasOf: 'c000000002', found: true, features: v1.offline.get('c000000002') },
    { customer_id: 'gone-3', found: false, features: null },
    { customer_id: 'c000000002', found: true, features: v1.offline.get('c000000002') },
  ]);
});

test('while an incremental sync re-points an alias, every answer is one version', async () => {
  const aliasesB = await writeAliases('b', [
    ['gone-1', 'c000000005'],
    ['gone-4', 'c000000006'],
  ]);
  const answers: { version: number; aliasOf?: string; features: Features }[] = [];
  let done = false;
  const reader = async () => {
    while (!done) {
      const r = await api.get('/v1/gone-1/customer');
      expect(r.status, JSON.stringify(r.body) + unavailableCauses.slice(0, 3).join('\n')).toBe(200);
      answers.push(r.body);
    }
  };
  const readers = Array.from({ length: 4 }, reader);
  let v2: Awaited<ReturnType<typeof sync>>;
  try {
    v2 = await sync('b', aliasesB, 'incremental');
  } finally {
    await new Promise((r) => setTimeout(r, 300));
    done = true;
    await Promise.all(readers);
  }
  expect(v2.res.mode).toBe('incremental');
  expect(v2.res.aliasRows).toBe(2);
  const expected = new Map([
    [v1.res.version, { aliasOf: 'c000000001', features: v1.offline.get('c000000001') }],
    [v2.res.version, { aliasOf: 'c000000005', features: v2.offline.get('c000000005') }],
  ]);
  const seen = new Set<number>();
  for (const a of answers) {
    expect(expected.get(a.version), `version ${a.version}`).toEqual({
      aliasOf: a.aliasOf,
      features: a.features,
    });
    seen.add(a.version);
  }
  expect(seen.has(v2.res.version)).toBe(true);
  // The removed alias is a tombstone in the new layer; the new one answers.
  expect((await api.get('/v1/gone-2/customer')).status).toBe(404);
  const added = await api.get('/v1/gone-4/customer');
  expect(added.body).toMatchObject({ aliasOf: 'c000000006', features: v2.offline.get('c000000006') });
});
