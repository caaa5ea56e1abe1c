// Linking scored pairs into identities (lib/identity/link.ts) in DuckDB, against the independent
// average linkage of test/helpers and the union-find: the chain a single false match makes is
// split by average linkage and kept whole by connected components; on random graphs, batched in
// small pieces, every record's cluster equals the oracle's.
import { expect, test } from 'vitest';
import { linkRecords } from '../../../lib/identity/link.js';
import type { Linkage } from '../../../lib/identity/model.js';
import { inMemoryDuckDB } from '../../helpers/duckdb.js';
import { averageLinkageOracle, type OraclePair } from '../../helpers/average-linkage-oracle.js';
import { unionFindClusters } from '../../helpers/union-find.js';
import { seededRandom } from '../../helpers/random.js';

const duck = inMemoryDuckDB();

async function link(
  ids: string[],
  pairs: OraclePair[],
  linkage: Linkage,
  opts: { threshold?: number; batchPairs?: number } = {},
) {
  await duck.conn.run('CREATE OR REPLACE TABLE nodes (record_id VARCHAR)');
  await duck.conn.run('CREATE OR REPLACE TABLE pairs (left_id VARCHAR, right_id VARCHAR, score DOUBLE)');
  await duck.conn.run(`INSERT INTO nodes VALUES ${ids.map((i) => `('${i}')`).join(', ')}`);
  if (pairs.length)
    await duck.conn.run(
      `INSERT INTO pairs VALUES ${pairs.map((p) => `('${p.left}', '${p.right}', ${p.score})`).join(', ')}`,
    );
  const r = await linkRecords(duck.conn, {
    nodes: 'SELECT record_id FROM nodes',
    pairs: 'SELECT left_id, right_id, score FROM pairs',
    threshold: opts.threshold ?? 0.5,
    linkage,
    out: 'linked',
    batchPairs: opts.batchPairs,
  });
  const clusters = new Map(
    (await duck.conn.runAndReadAll('SELECT record_id, identity_id FROM linked'))
      .getRows()
      .map(([a, b]) => [String(a), String(b)]),
  );
  return { ...r, clusters };
}

test('one strong false match chains two people under components; average linkage keeps them apart', async () => {
  // a1, a2 are one person, b1, b2 another; a2-b1 is a strong false match, every other pair
  // between the two people scored clearly different.
  const ids = ['a1', 'a2', 'b1', 'b2'];
  const pairs = [
    { left: 'a1', right: 'a2', score: 0.999 },
    { left: 'b1', right: 'b2', score: 0.999 },
    { left: 'a2', right: 'b1', score: 0.97 },
    { left: 'a1', right: 'b1', score: 0.01 },
    { left: 'a2', right: 'b2', score: 0.02 },
  ];
  const cc = await link(ids, pairs, 'components');
  expect(new Set(cc.clusters.values())).toEqual(new Set(['a1']));
  const avg = await link(ids, pairs, 'average');
  expect(Object.fromEntries(avg.clusters)).toEqual({ a1: 'a1', a2: 'a1', b1: 'b1', b2: 'b1' });
  expect(avg.splitComponents).toBe(1);
});

test('the smallest component that can split, three records: the weak end leaves', async () => {
  const ids = ['x1', 'x2', 'x3'];
  const pairs = [
    { left: 'x1', right: 'x2', score: 0.99 },
    { left: 'x2', right: 'x3', score: 0.9 },
    { left: 'x1', right: 'x3', score: 0.001 },
  ];
  expect(Object.fromEntries((await link(ids, pairs, 'average')).clusters)).toEqual({
    x1: 'x1',
    x2: 'x1',
    x3: 'x3',
  });
});

test('pairs blocking never scored carry no evidence: a chain of strong matches stays one identity', async () => {
  const ids = ['r1', 'r2', 'r3', 'r4', 'solo'];
  const pairs = [
    { left: 'r1', right: 'r2', score: 0.99 },
    { left: 'r2', right: 'r3', score: 0.9 },
    { left: 'r3', right: 'r4', score: 0.8 },
  ];
  const avg = await link(ids, pairs, 'average');
  expect(Object.fromEntries(avg.clusters)).toEqual({ r1: 'r1', r2: 'r1', r3: 'r1', r4: 'r1', solo: 'solo' });
  expect(avg.splitComponents).toBe(0);
});

test('random scored graphs, linked in small batches: every cluster equals the independent computations', async () => {
  for (const seed of [1, 2, 3, 4]) {
    const r = seededRandom(seed);
    const ids = Array.from({ length: 600 }, (_, i) => `p${String(i).padStart(4, '0')}`);
    const seen = new Set<string>();
    const pairs: OraclePair[] = [];
    // Dense neighbourhoods (a few dozen records each) so that components are large and mixed.
    for (let i = 0; i < 1500; i++) {
      const a = Math.floor(r() * ids.length);
      const b = Math.min(ids.length - 1, a + 1 + Math.floor(r() * 12));
      const [left, right] = [ids[a]!, ids[b]!];
      if (left === right || seen.has(`${left}|${right}`)) continue;
      seen.add(`${left}|${right}`);
      pairs.push({ left, right, score: Math.round(r() * 1000) / 1000 });
    }
    const threshold = 0.3 + r() * 0.4;
    const avg = await link(ids, pairs, 'average', { threshold, batchPairs: 50 });
    const want = averageLinkageOracle(ids, pairs, threshold);
    expect(avg.clusters.size).toBe(ids.length);
    for (const id of ids) expect(avg.clusters.get(id), `seed ${seed}: ${id}`).toBe(want.get(id));
    expect(avg.splitComponents).toBeGreaterThan(0);

    const cc = await link(ids, pairs, 'components', { threshold });
    const uf = unionFindClusters(
      ids,
      pairs.filter((p) => p.score >= threshold).map((p) => [p.left, p.right]),
    );
    for (const id of ids) expect(cc.clusters.get(id), `seed ${seed}: ${id}`).toBe(uf.get(id));
  }
});
