// Identity ids that persist from day to day, end to end on the suite's dev server: three daily
// model-scoring runs (dt= partitions) over generated records that are removed, added and edited
// so that identities merge (day 2: B into A; day 3: A into Z, so B's alias follows to Z) and split
// (day 2: D in two equal halves). Every day's published clusters and alias table are checked
// against an independent TypeScript computation of the rule (test/helpers/identity-ids-oracle.ts)
// over that day's published pairs and the previous day's published output; re-running a date
// gives byte-identical files; and feature-sync loads the aliases into a real redis-server so the
// API answers a merged-away customer_id with its survivor's features.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { generateCustomers } from '../../datagen/customers.js';
import type { ModelScoringResult } from '../../activities/model-scoring/types.js';
import type { FeatureSyncResult } from '../../activities/feature-sync/types.js';
import { startLocalRedis, type LocalRedis } from '../../devstack/redis-server.js';
import { sqlString } from '../../lib/duckdb.js';
import { waitForRun } from '../../lib/runs.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { logicalName } from '../../lib/storage/publish.js';
import { startRun } from '../../pipelines/runs.js';
import { startTestApi, type TestApi } from '../helpers/feature-api.js';
import { expectedIdentities, type Alias } from '../helpers/identity-ids-oracle.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';
import { unionFindClusters } from '../helpers/union-find.js';

const DAYS = ['2025-06-01', '2025-06-02', '2025-06-03'] as const;
let env: TestWorker;
let redis: LocalRedis;
let api: TestApi;
let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;
const results: ModelScoringResult[] = [];
/** The identities the edits target, by day-1 id. */
let A: string, B: string, D: string, Z: string;

const out = (day: number) => path.join(dir, 'model-scoring', `dt=${DAYS[day]}`);
const recordsOf = (day: number) => path.join(dir, `records-${day}.parquet`);

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjects();
}
async function runScoring(day: number): Promise<ModelScoringResult> {
  const handle = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'model-scoring',
    runDate: DAYS[day],
    rawParams: { records: recordsOf(day), model: 'v2', output: out(day), shards: '2' },
  });
  return waitForRun<ModelScoringResult>(handle);
}
async function clustersOf(day: number): Promise<Map<string, string>> {
  const r = await rows(`SELECT record_id, identity_id FROM read_parquet('${out(day)}/clusters/*.parquet')`);
  return new Map(r.map((x) => [String(x.record_id), String(x.identity_id)]));
}
async function aliasesOf(day: number): Promise<Alias[]> {
  const r = await rows(
    `SELECT old_identity_id, identity_id, CAST(merged_on AS VARCHAR) AS merged_on FROM read_parquet('${out(day)}/aliases/*.parquet') ORDER BY old_identity_id`,
  );
  return r.map((x) => ({
    old: String(x.old_identity_id),
    id: String(x.identity_id),
    mergedOn: String(x.merged_on),
  }));
}
/** Today's components from the published pairs: a union-find over the day's records. */
async function componentsOf(day: number): Promise<Map<string, string>> {
  const ids = (await rows(`SELECT record_id FROM read_parquet(${sqlString(recordsOf(day))})`)).map((r) =>
    String(r.record_id),
  );
  const edges = (await rows(`SELECT left_id, right_id FROM read_parquet('${out(day)}/pairs/*.parquet')`)).map(
    (r) => [String(r.left_id), String(r.right_id)] as [string, string],
  );
  return unionFindClusters(ids, edges);
}
/** The published files by logical name -> sha256. */
async function checksums(day: number): Promise<Record<string, string>> {
  const m = (await readManifest(out(day)))!;
  return Object.fromEntries(m.files.map((f) => [logicalName(f.name, m), f.sha256]));
}

/** Record ids of an identity on a day, sorted. */
function recordsWith(clusters: Map<string, string>, id: string): string[] {
  return [...clusters]
    .filter(([, i]) => i === id)
    .map(([r]) => r)
    .sort();
}

beforeAll(async () => {
  dir = tempDir('model-scoring-identities');
  redis = await startLocalRedis();
  env = await startTestWorker(testConfig({ REDIS_URL: redis.url, DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '2' }));
  const gen = await generateCustomers({ records: 3000, seed: 21, out: path.join(dir, 'gen') });
  // Other people, for edits that turn a record into someone new (ids renamed out of the way).
  const others = await generateCustomers({ records: 200, seed: 977, out: path.join(dir, 'others') });
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await conn.run(`CREATE TABLE r0 AS SELECT * FROM read_parquet('${gen.recordsDir}/*.parquet')`);
  await conn.run(
    `CREATE TABLE people AS SELECT * REPLACE ('p' || substr(record_id, 2) AS record_id) FROM read_parquet('${others.recordsDir}/*.parquet')`,
  );
  await conn.run(`COPY r0 TO ${sqlString(recordsOf(0))} (FORMAT parquet)`);
  results.push(await runScoring(0));
});
afterAll(async () => {
  await api?.close();
  conn?.closeSync();
  db?.closeSync();
  await env?.stop();
  await redis?.stop();
});

describe('three days of edits', () => {
  test('day 1 mints an id for every identity and publishes an empty alias table', async () => {
    const c1 = await clustersOf(0);
    expect(c1.size).toBe(3000);
    const expected = expectedIdentities({
      components: await componentsOf(0),
      previous: new Map(),
      previousAliases: [],
      runDate: DAYS[0],
    });
    expect(c1).toEqual(expected.ids);
    expect(await aliasesOf(0)).toEqual([]);
    const n = new Set(c1.values()).size;
    expect(results[0]!.champion.identities).toEqual({ kept: 0, minted: n, merged: 0, aliases: 0 });
    expect([...c1.values()].every((id) => /^i20250601-\d+$/.test(id))).toBe(true);
  });

  test('day 2: B merges into A, D splits in two, records come and go; ids follow the rule', async () => {
    const c1 = await clustersOf(0);
    await conn.run(`CREATE TABLE c1 AS SELECT * FROM read_parquet('${out(0)}/clusters/*.parquet')`);
    const bySize = async (n: number) =>
      (await rows(`SELECT identity_id FROM c1 GROUP BY 1 HAVING count(*) = ${n} ORDER BY 1`)).map((r) =>
        String(r.identity_id),
      );
    [A] = await bySize(3);
    [B] = await bySize(2);
    // D: four records whose two smallest are matched directly (they stay together without the rest).
    [D] = (
      await rows(`WITH d AS (SELECT identity_id, list(record_id ORDER BY record_id) AS rs FROM c1 GROUP BY 1 HAVING count(*) = 4)
        SELECT identity_id FROM d JOIN read_parquet('${out(0)}/pairs/*.parquet') p ON p.left_id = rs[1] AND p.right_id = rs[2]
        ORDER BY 1 LIMIT 1`)
    ).map((r) => String(r.identity_id));
    expect(A && B && D).toBeTruthy();
    const [a, b, d] = [A, B, D].map((id) => recordsWith(c1, id));
    // B's records all become copies of A's first record (a merge, A the larger); D's last two
    // records become one new person (a split into two halves of two: the tie goes to the half
    // with the smaller record_id); 1% of the other records are removed; 30 new records join
    // existing people and 10 new people arrive.
    const targeted = [...a, ...b, ...d].map((r) => `'${r}'`).join(',');
    await conn.run(`CREATE TABLE r1 AS
      SELECT * FROM r0 WHERE record_id NOT IN (${targeted}) AND md5_number(record_id) % 100 <> 7
      UNION ALL SELECT * FROM r0 WHERE record_id IN (${[...a, ...d.slice(0, 2)].map((r) => `'${r}'`).join(',')})
      UNION ALL SELECT x.record_id, y.* EXCLUDE (record_id)
        FROM (SELECT unnest([${b.map((r) => `'${r}'`).join(',')}]) AS record_id) x, (SELECT * FROM r0 WHERE record_id = '${a[0]}') y
      UNION ALL SELECT x.record_id, y.* EXCLUDE (record_id)
        FROM (SELECT unnest([${d
          .slice(2)
          .map((r) => `'${r}'`)
          .join(',')}]) AS record_id) x, (SELECT * FROM people WHERE record_id = 'p000000007') y
      UNION ALL (SELECT * REPLACE ('n' || substr(record_id, 2) AS record_id) FROM r0
                 WHERE md5_number(record_id) % 100 = 11 AND record_id NOT IN (${targeted}) ORDER BY record_id LIMIT 30)
      UNION ALL SELECT * FROM people WHERE record_id BETWEEN 'p000000100' AND 'p000000109'`);
    await conn.run(
      `COPY (SELECT * FROM r1 ORDER BY record_id) TO ${sqlString(recordsOf(1))} (FORMAT parquet)`,
    );
    results.push(await runScoring(1));

    const c2 = await clustersOf(1);
    const expected = expectedIdentities({
      components: await componentsOf(1),
      previous: c1,
      previousAliases: [],
      runDate: DAYS[1],
    });
    expect(c2).toEqual(expected.ids);
    expect(await aliasesOf(1)).toEqual(expected.aliases);
    // The cases the edits aimed at.
    expect(recordsWith(c2, A)).toEqual([...a, ...b].sort());
    expect(expected.aliases).toContainEqual({ old: B, id: A, mergedOn: DAYS[1] });
    expect(recordsWith(c2, D)).toEqual(d.slice(0, 2));
    expect(c2.get(d[2]!)).toMatch(/^i20250602-\d+$/);
    expect(c2.get(d[3]!)).toBe(c2.get(d[2]!));
    const report = results[1]!.champion.identities;
    expect(report.previous).toBe(DAYS[0]);
    expect(report.merged).toBe(expected.aliases.length);
    expect(report.minted).toBe(new Set([...c2.values()].filter((i) => i.startsWith('i20250602-'))).size);
    // Unchanged records in unchanged clusters keep their ids: most of them.
    let same = 0;
    let both = 0;
    for (const [r, id] of c2)
      if (c1.has(r)) {
        both++;
        if (c1.get(r) === id) same++;
      }
    expect(same / both).toBeGreaterThan(0.98);
  });

  test('day 3: A merges into Z; the carried alias B -> A follows to Z', async () => {
    const c2 = await clustersOf(1);
    await conn.run(`CREATE TABLE c2 AS SELECT * FROM read_parquet('${out(1)}/clusters/*.parquet')`);
    [Z] = (
      await rows(
        `SELECT identity_id FROM c2 WHERE identity_id NOT IN ('${A}', '${D}') GROUP BY 1 HAVING count(*) = 3 ORDER BY 1`,
      )
    ).map((r) => String(r.identity_id));
    const z = recordsWith(c2, Z);
    const a = recordsWith(c2, A);
    // Three of A's five records are removed and two become copies of Z's first record: Z (3
    // records yesterday) outvotes A (2). Another 1% of records is removed.
    const quoted = (ids: string[]) => ids.map((r) => `'${r}'`).join(',');
    await conn.run(`CREATE TABLE r2 AS
      SELECT * FROM r1 WHERE record_id NOT IN (${quoted([...a, ...z])}) AND md5_number(record_id) % 100 <> 13
      UNION ALL SELECT * FROM r1 WHERE record_id IN (${quoted(z)})
      UNION ALL SELECT x.record_id, y.* EXCLUDE (record_id)
        FROM (SELECT unnest([${quoted(a.slice(0, 2))}]) AS record_id) x, (SELECT * FROM r1 WHERE record_id = '${z[0]}') y`);
    await conn.run(
      `COPY (SELECT * FROM r2 ORDER BY record_id) TO ${sqlString(recordsOf(2))} (FORMAT parquet)`,
    );
    results.push(await runScoring(2));

    const c3 = await clustersOf(2);
    const expected = expectedIdentities({
      components: await componentsOf(2),
      previous: c2,
      previousAliases: await aliasesOf(1),
      runDate: DAYS[2],
    });
    expect(c3).toEqual(expected.ids);
    const aliases = await aliasesOf(2);
    expect(aliases).toEqual(expected.aliases);
    expect(aliases).toContainEqual({ old: A, id: Z, mergedOn: DAYS[2] });
    expect(aliases).toContainEqual({ old: B, id: Z, mergedOn: DAYS[1] });
    expect(recordsWith(c3, Z)).toEqual([...z, ...a.slice(0, 2)].sort());
    // Every day-2 alias is carried into day 3's table.
    const carried = new Set(aliases.map((x) => x.old));
    for (const x of await aliasesOf(1)) expect(carried.has(x.old)).toBe(true);
  });

  test('re-running a date publishes byte-identical files', async () => {
    const before = await checksums(1);
    await runScoring(1);
    expect(await checksums(1)).toEqual(before);
  });

  test('the API answers a merged-away customer_id with the survivor and says so', async () => {
    const handle = await startRun({
      client: env.client,
      config: env.config,
      pipeline: 'feature-sync',
      runDate: DAYS[2],
      rawParams: {
        records: recordsOf(2),
        clustersFrom: out(2),
        output: path.join(dir, 'features', `dt=${DAYS[2]}`),
        views: 'customer',
      },
    });
    const sync = await waitForRun<FeatureSyncResult>(handle);
    const aliases = await aliasesOf(2);
    const c3 = await clustersOf(2);
    const live = new Set(c3.values());
    const loadable = aliases.filter((x) => live.has(x.id));
    expect(sync.views[0]!.aliasRows).toBe(loadable.length);
    expect(sync.views[0]!.entities).toBe(live.size);
    api = await startTestApi(redis.url);
    const survivor = await api.get(`/v1/${Z}/customer`);
    expect(survivor.status).toBe(200);
    expect(survivor.body.aliasOf).toBeUndefined();
    expect(survivor.body.features.record_count).toBe(recordsWith(c3, Z).length);
    for (const old of [A, B]) {
      const res = await api.get(`/v1/${old}/customer`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...survivor.body, customer_id: old, aliasOf: Z });
    }
    const batch = await api.post('/v1/batch/customer', { ids: [B, Z, 'i20990101-1'] });
    expect(batch.status).toBe(200);
    expect(batch.body.results).toEqual([
      { customer_id: B, aliasOf: Z, found: true, features: survivor.body.features },
      { customer_id: Z, found: true, features: survivor.body.features },
      { customer_id: 'i20990101-1', found: false, features: null },
    ]);
    // Every loadable alias answers with its survivor's features.
    const all = await api.post('/v1/batch/customer', { ids: loadable.map((x) => x.old) });
    const direct = await api.post('/v1/batch/customer', { ids: loadable.map((x) => x.id) });
    expect(
      all.body.results.map((r: { aliasOf: string; features: unknown }) => [r.aliasOf, r.features]),
    ).toEqual(
      direct.body.results.map((r: { customer_id: string; features: unknown }) => [r.customer_id, r.features]),
    );
  });
});
