// Persistent identity ids (lib/identity/identity-ids.ts) against the independent TypeScript
// computation of the rule (test/helpers/identity-ids-oracle.ts): hand-made merges, splits and
// ties with the ids spelled out, then chains of random days full of small clusters (many ties),
// records coming and going, legacy ids from before minted ones, and aliases carried forward.
import { describe, expect, test } from 'vitest';
import { assignIdentityIds, mintedId } from '../../../lib/identity/identity-ids.js';
import { inMemoryDuckDB } from '../../helpers/duckdb.js';
import { compareAge, expectedIdentities, type Alias } from '../../helpers/identity-ids-oracle.js';
import { seededRandom } from '../../helpers/random.js';

const duck = inMemoryDuckDB();

const values = (rows: string[][]) => rows.map((r) => `(${r.map((v) => `'${v}'`).join(', ')})`).join(', ');

/** Runs the SQL rule on plain maps; returns the ids and the alias table as the oracle does. */
async function assign(
  components: Map<string, string>,
  previous: Map<string, string> | undefined,
  previousAliases: Alias[] | undefined,
  runDate: string,
): Promise<{ ids: Map<string, string>; aliases: Alias[] }> {
  await duck.conn.run('CREATE OR REPLACE TABLE t_cur (record_id VARCHAR, cluster VARCHAR)');
  await duck.conn.run('CREATE OR REPLACE TABLE t_prev (record_id VARCHAR, identity_id VARCHAR)');
  await duck.conn.run(
    'CREATE OR REPLACE TABLE t_alias (old_identity_id VARCHAR, identity_id VARCHAR, merged_on DATE)',
  );
  if (components.size) await duck.conn.run(`INSERT INTO t_cur VALUES ${values([...components])}`);
  if (previous?.size) await duck.conn.run(`INSERT INTO t_prev VALUES ${values([...previous])}`);
  if (previousAliases?.length)
    await duck.conn.run(
      `INSERT INTO t_alias VALUES ${values(previousAliases.map((a) => [a.old, a.id, a.mergedOn]))}`,
    );
  await assignIdentityIds(duck.conn, {
    clusters: 'SELECT * FROM t_cur',
    previous: previous ? 'SELECT * FROM t_prev' : undefined,
    previousAliases: previousAliases ? 'SELECT * FROM t_alias' : undefined,
    runDate,
    out: 't_out',
    aliasesOut: 't_aliases',
  });
  const ids = (await duck.conn.runAndReadAll('SELECT record_id, identity_id FROM t_out')).getRows();
  const aliases = (
    await duck.conn.runAndReadAll(
      'SELECT old_identity_id, identity_id, CAST(merged_on AS VARCHAR) FROM t_aliases ORDER BY old_identity_id',
    )
  ).getRows();
  return {
    ids: new Map(ids.map(([r, i]) => [String(r), String(i)])),
    aliases: aliases.map(([o, i, m]) => ({ old: String(o), id: String(i), mergedOn: String(m) })),
  };
}

/** record -> component from groups of record ids. */
const groups = (...gs: string[][]) =>
  new Map(gs.flatMap((g) => g.map((r) => [r, g[0]!] as [string, string])));

describe('the rule on hand-made days', () => {
  test('minted ids sort by age: legacy ids first, then (date, n)', () => {
    const ids = [
      mintedId('2025-01-02', 1),
      mintedId('2025-01-01', 10),
      mintedId('2025-01-01', 9),
      'c000000005',
      'a1',
    ];
    expect([...ids].sort(compareAge)).toEqual([
      'a1',
      'c000000005',
      'i20250101-9',
      'i20250101-10',
      'i20250102-1',
    ]);
  });

  test('merge, split with a tie, a new cluster and a vanished identity', async () => {
    const day1 = await assign(
      groups(['r1', 'r2', 'r3'], ['r4', 'r5'], ['r6', 'r7', 'r8', 'r9'], ['r10']),
      undefined,
      undefined,
      '2025-01-01',
    );
    expect(day1.ids).toEqual(
      new Map([
        ...['r1', 'r2', 'r3'].map((r) => [r, 'i20250101-1'] as const),
        ...['r4', 'r5'].map((r) => [r, 'i20250101-3'] as const),
        ...['r6', 'r7', 'r8', 'r9'].map((r) => [r, 'i20250101-4'] as const),
        ['r10', 'i20250101-2'],
      ]),
    );
    expect(day1.aliases).toEqual([]);
    // Day 2: {1,2,3} and {4,5} merge (3 votes beat 2); {6..9} splits 2 + 2 (the half with the
    // smaller record keeps it); r10 is gone; r11, r12 are new.
    const day2 = await assign(
      groups(['r1', 'r2', 'r3', 'r4', 'r5'], ['r6', 'r7'], ['r8', 'r9'], ['r11', 'r12']),
      day1.ids,
      day1.aliases,
      '2025-01-02',
    );
    expect(Object.fromEntries(day2.ids)).toEqual({
      ...Object.fromEntries(['r1', 'r2', 'r3', 'r4', 'r5'].map((r) => [r, 'i20250101-1'])),
      r6: 'i20250101-4',
      r7: 'i20250101-4',
      r11: 'i20250102-1',
      r12: 'i20250102-1',
      r8: 'i20250102-2',
      r9: 'i20250102-2',
    });
    expect(day2.aliases).toEqual([{ old: 'i20250101-3', id: 'i20250101-1', mergedOn: '2025-01-02' }]);
    // Day 3: r1, r2 (i20250101-1) and r6, r7 (i20250101-4) form one cluster: two votes each, the
    // older id survives and i20250101-4 merges into it; the day-2 alias stays on the survivor.
    const day3 = await assign(groups(['r1', 'r2', 'r6', 'r7']), day2.ids, day2.aliases, '2025-01-03');
    expect(new Set(day3.ids.values())).toEqual(new Set(['i20250101-1']));
    expect(day3.aliases).toEqual([
      { old: 'i20250101-3', id: 'i20250101-1', mergedOn: '2025-01-02' },
      { old: 'i20250101-4', id: 'i20250101-1', mergedOn: '2025-01-03' },
    ]);
    // Day 4: r8 + r9 (two votes for i20250102-2) outvote r1 (i20250101-1): the survivor of the
    // earlier merges merges itself, and both its aliases follow it to the new survivor.
    const day4 = await assign(
      groups(['r1', 'r8', 'r9']),
      new Map([
        ['r1', 'i20250101-1'],
        ['r8', 'i20250102-2'],
        ['r9', 'i20250102-2'],
      ]),
      day3.aliases,
      '2025-01-04',
    );
    expect(new Set(day4.ids.values())).toEqual(new Set(['i20250102-2']));
    expect(day4.aliases).toEqual([
      { old: 'i20250101-1', id: 'i20250102-2', mergedOn: '2025-01-04' },
      { old: 'i20250101-3', id: 'i20250102-2', mergedOn: '2025-01-02' },
      { old: 'i20250101-4', id: 'i20250102-2', mergedOn: '2025-01-03' },
    ]);
  });

  test('a tie of votes goes to the oldest id, legacy ids before minted ones', async () => {
    const prev = new Map([
      ['r1', 'i20250101-1'],
      ['r2', 'zz-legacy'],
    ]);
    const r = await assign(groups(['r1', 'r2']), prev, undefined, '2025-01-02');
    expect(new Set(r.ids.values())).toEqual(new Set(['zz-legacy']));
    expect(r.aliases).toEqual([{ old: 'i20250101-1', id: 'zz-legacy', mergedOn: '2025-01-02' }]);
  });
});

describe('random days against the independent computation', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`seed ${seed}: five days of small clusters, records coming and going`, async () => {
      const rand = seededRandom(seed);
      let previous: Map<string, string> | undefined;
      let aliases: Alias[] | undefined;
      let next = 0;
      let records = Array.from({ length: 150 }, () => `r${String(next++).padStart(5, '0')}`);
      for (let day = 1; day <= 5; day++) {
        // Keep ~90%, add ~10%; components: random labels from a small pool (sizes 1-6, many ties).
        records = [
          ...records.filter(() => rand() < 0.9),
          ...Array.from({ length: 15 }, () => `r${String(next++).padStart(5, '0')}`),
        ];
        const pool = Math.max(1, Math.floor(records.length / 3));
        const components = new Map(records.map((r) => [r, `k${Math.floor(rand() * pool)}`]));
        const runDate = `2025-02-0${day}`;
        const got = await assign(components, previous, aliases, runDate);
        const want = expectedIdentities({
          components,
          previous: previous ?? new Map(),
          previousAliases: aliases ?? [],
          runDate,
        });
        expect(got.ids).toEqual(want.ids);
        expect(got.aliases).toEqual(want.aliases);
        if (day > 1) expect(got.aliases.length).toBeGreaterThan(0);
        previous = got.ids;
        aliases = got.aliases;
      }
    });
  }

  test('the same inputs give the same ids', async () => {
    const components = groups(['a', 'b'], ['c'], ['d', 'e', 'f']);
    const prev = new Map([
      ['a', 'i20250101-2'],
      ['c', 'i20250101-2'],
      ['d', 'i20250101-1'],
    ]);
    const first = await assign(components, prev, [], '2025-01-02');
    expect(await assign(components, prev, [], '2025-01-02')).toEqual(first);
  });
});
