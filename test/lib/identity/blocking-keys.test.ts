// Candidate pairs from the prep table's stored keys (64-bit hashes of each rule's key, capped
// blocks NULL, a shard per key) against the pairs recomputed here from the rules' key strings:
// every pair of records sharing a key whose block is small enough, once, under the first rule
// that links it, whatever the number of shards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateCustomers } from '../../../datagen/customers.js';
import { DEFAULT_RULES, keySql, shardPairsSql, type BlockingRule } from '../../../lib/identity/blocking.js';
import { prepareRecords } from '../../../lib/identity/prepare.js';
import { resolveDataset } from '../../../lib/storage/index.js';
import { inMemoryDuckDB } from '../../helpers/duckdb.js';

const db = inMemoryDuckDB();
// Small blocks are capped so that the cap is exercised too (surnames and initials repeat).
const MAX_BLOCK = 8;
const RULES: BlockingRule[] = [
  ...DEFAULT_RULES,
  { name: 'surname', parts: ['ln'] },
  { name: 'dob_y_initials', parts: ['dob_y', 'initials'] },
];
let dir: string;
let files: string[];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blocking-keys-'));
  const out = await generateCustomers({ records: 3000, seed: 5, out: dir });
  files = (await resolveDataset(out.recordsDir)).map((f) => f.uri);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Pair = string; // "left_id right_id rule"

async function rows(sql: string): Promise<Pair[]> {
  const r = await db.conn.runAndReadAll(sql);
  return r.getRows().map((x) => x.map(String).join(' '));
}

/** The pairs from the rules' key strings, with the first rule linking each. */
function expectedSql(): string {
  const perRule = RULES.map((rule, i) => {
    const keyed = `(SELECT record_id, ${keySql(rule)} AS k FROM prep)`;
    return `SELECT least(a.record_id, b.record_id) AS l, greatest(a.record_id, b.record_id) AS r, ${i} AS rule
      FROM ${keyed} a JOIN ${keyed} b ON a.k = b.k AND a.record_id < b.record_id
      WHERE a.k IN (SELECT k FROM ${keyed} WHERE k IS NOT NULL GROUP BY k HAVING count(*) <= ${MAX_BLOCK})`;
  });
  return `SELECT l, r, min(rule) FROM (${perRule.join(' UNION ALL ')}) GROUP BY l, r ORDER BY l, r`;
}

test.each([1, 3])('stored keys over %i shard(s) give the pairs of the key strings', async (shards) => {
  const prepared = await prepareRecords(db.conn, { files, shards, maxBlockSize: MAX_BLOCK, rules: RULES });
  expect(prepared.cappedKeys).toBeGreaterThan(0);
  const types = await rows(`SELECT DISTINCT data_type FROM information_schema.columns
    WHERE table_name = 'prep' AND column_name LIKE 'k\\_%' ESCAPE '\\'`);
  expect(types).toEqual(['UBIGINT']);

  const expected = (await rows(expectedSql())).sort();
  const got: Pair[] = [];
  for (let shard = 0; shard < shards; shard++)
    got.push(
      ...(await rows(
        `SELECT left_id, right_id, rule FROM (${shardPairsSql({ table: 'prep', shard, shards, rules: RULES, cols: '1 AS x' })})`,
      )),
    );
  got.sort();
  // Ordered by the packed rids, the pairs come in (left_id, right_id) order: the order the
  // scoring shard writes its matches in without sorting strings.
  for (let shard = 0; shard < shards; shard++) {
    const byPair = await rows(
      `SELECT left_id, right_id FROM (${shardPairsSql({ table: 'prep', shard, shards, rules: RULES, cols: '1 AS x' })}) ORDER BY pair`,
    );
    expect(byPair.length).toBeGreaterThan(0);
    expect(byPair).toEqual([...byPair].sort());
  }
  expect(expected.length).toBeGreaterThan(1000);
  // Every rule owns some pairs, so the first-rule attribution is checked for each.
  expect(new Set(expected.map((p) => p.split(' ')[2])).size).toBe(RULES.length);
  expect(got).toEqual(expected);
});
