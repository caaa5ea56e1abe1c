// The SQL connected components against an independent union-find, on graphs with the shapes that
// break naive label propagation: long chains with ids in random order, stars, cycles, isolated
// nodes, duplicate and self edges.
import { expect, test } from 'vitest';
import { connectedComponents } from '../../../lib/identity/components.js';
import { inMemoryDuckDB } from '../../helpers/duckdb.js';
import { unionFindClusters } from '../../helpers/union-find.js';
import { seededRandom } from '../../helpers/random.js';

const duck = inMemoryDuckDB();

async function check(ids: string[], edges: [string, string][]): Promise<number> {
  await duck.conn.run('CREATE OR REPLACE TABLE nodes (record_id VARCHAR)');
  await duck.conn.run('CREATE OR REPLACE TABLE edges (left_id VARCHAR, right_id VARCHAR)');
  if (ids.length) await duck.conn.run(`INSERT INTO nodes VALUES ${ids.map((i) => `('${i}')`).join(', ')}`);
  if (edges.length)
    await duck.conn.run(`INSERT INTO edges VALUES ${edges.map(([a, b]) => `('${a}', '${b}')`).join(', ')}`);
  const { iterations } = await connectedComponents(duck.conn, {
    nodes: 'SELECT record_id FROM nodes',
    edges: 'SELECT left_id, right_id FROM edges',
    out: 'clusters',
  });
  const got = new Map(
    (await duck.conn.runAndReadAll('SELECT record_id, identity_id FROM clusters'))
      .getRows()
      .map(([a, b]) => [String(a), String(b)]),
  );
  const want = unionFindClusters(ids, edges);
  expect(got.size).toBe(ids.length);
  for (const id of ids) expect(got.get(id), id).toBe(want.get(id));
  return iterations;
}

test('random sparse graphs', async () => {
  for (const seed of [1, 2, 3]) {
    const r = seededRandom(seed);
    const ids = Array.from({ length: 3000 }, (_, i) => `r${String(i).padStart(5, '0')}`);
    const edges: [string, string][] = [];
    for (let i = 0; i < 2500; i++) {
      const a = ids[Math.floor(r() * ids.length)]!;
      const b = ids[Math.floor(r() * ids.length)]!;
      edges.push(a < b ? [a, b] : [b, a]);
    }
    await check(ids, edges);
  }
});

test('a long chain with shuffled ids converges in few rounds (pointer jumping)', async () => {
  const r = seededRandom(9);
  const ids = Array.from({ length: 2000 }, (_, i) => `c${String(i).padStart(5, '0')}`);
  const order = [...ids].sort(() => r() - 0.5);
  const edges = order.slice(1).map((id, i) => [order[i]!, id] as [string, string]);
  const iterations = await check(ids, edges);
  expect(iterations).toBeLessThan(40);
});

test('stars, cycles, duplicate and self edges, isolated nodes', async () => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'z'];
  const edges: [string, string][] = [
    ['h', 'a'],
    ['h', 'b'],
    ['h', 'c'], // star centred on h, smallest is a
    ['d', 'e'],
    ['e', 'f'],
    ['f', 'd'],
    ['d', 'e'], // cycle with a duplicate edge
    ['g', 'g'], // self edge only: a singleton
  ];
  await check(ids, edges);
});

test('no edges: every record is its own identity', async () => {
  await check(['x1', 'x2', 'x3'], []);
});
