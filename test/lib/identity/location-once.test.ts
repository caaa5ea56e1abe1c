// The field comparisons count one location fact once (Fellegi-Sunter assumes comparisons
// independent): a postcode names its city and state, an identical street its postcode. But
// agreement beside a disagreeing street still counts (a duplicate with typos in several fields).
// Hand-made pairs through the same normalization the pipeline runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { FIELD_COMPARISONS, comparisonColumnsSql } from '../../../lib/identity/comparisons.js';
import { prepareRecords } from '../../../lib/identity/prepare.js';

type Loc = { address_line?: string; city?: string; state?: string; zip?: string };
type Levels = {
  street: string | null;
  postcode_dl: string | null;
  city: string | null;
  state: string | null;
};

// [case, left, right, expected levels]
const CASES: [string, Loc, Loc, Levels][] = [
  [
    'same home: only the street counts',
    { address_line: '12 Oak St', city: 'Springfield', state: 'IL', zip: '62701' },
    { address_line: '12 Oak St', city: 'Springfield', state: 'IL', zip: '62701' },
    { street: 'exact', postcode_dl: null, city: null, state: null },
  ],
  [
    'street garbled, postcode agrees: the postcode counts, not its city and state',
    { address_line: '12 Oak St', city: 'Springfield', state: 'IL', zip: '62701' },
    { address_line: '95 Elm Way', city: 'Springfield', state: 'IL', zip: '62701' },
    { street: 'different', postcode_dl: 'exact', city: null, state: null },
  ],
  [
    'postcode typo, same city: the city counts, the state not',
    { address_line: '12 Oak St', city: 'Springfield', state: 'IL', zip: '62701' },
    { address_line: '95 Elm Way', city: 'Springfield', state: 'IL', zip: '62702' },
    { street: 'different', postcode_dl: 'typo', city: 'exact', state: null },
  ],
  [
    'postcode digits swapped, same city: a typo, so the city counts',
    { address_line: '12 Oak St', city: 'Springfield', state: 'IL', zip: '62701' },
    { address_line: '95 Elm Way', city: 'Springfield', state: 'IL', zip: '62071' },
    { street: 'different', postcode_dl: 'typo', city: 'exact', state: null },
  ],
  [
    'another city in the same state: the state counts',
    { address_line: '12 Oak St', city: 'Springfield', state: 'IL', zip: '62701' },
    { address_line: '95 Elm Way', city: 'Chicago', state: 'IL', zip: '60601' },
    { street: 'different', postcode_dl: 'different', city: 'different', state: 'exact' },
  ],
  [
    'no postcode on one side: city and state count',
    { address_line: '12 Oak St', city: 'Springfield', state: 'IL' },
    { address_line: '95 Elm Way', city: 'Chicago', state: 'IL', zip: '60601' },
    { street: 'different', postcode_dl: null, city: 'different', state: 'exact' },
  ],
];

let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;
const lit = (v: string | undefined) => (v === undefined ? 'NULL' : `'${v.replaceAll("'", "''")}'`);
const names = ['street', 'postcode_dl', 'city', 'state'] as const;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loc-'));
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  const rows = CASES.flatMap(([, l, r], i) =>
    [l, r].map(
      (x, side) =>
        `('${i}-${side}', 'ann', 'lee', ${lit(x.address_line)}, ${lit(x.city)}, ${lit(x.state)}, ${lit(x.zip)})`,
    ),
  );
  const file = path.join(dir, 'records.parquet');
  await conn.run(`COPY (SELECT * FROM (VALUES ${rows.join(', ')})
      t(record_id, first_name, last_name, address_line, city, state, zip)) TO '${file}' (FORMAT parquet)`);
  await prepareRecords(conn, { files: [file], shards: 1, maxBlockSize: 1000 });
});
afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

test.each(CASES.map((c, i) => [i, ...c] as const))('#%i %s', async (i, _name, _l, _r, expected) => {
  const row = (
    await conn.runAndReadAll(
      `SELECT ${comparisonColumnsSql(FIELD_COMPARISONS)} FROM prep l, prep r WHERE l.record_id = '${i}-0' AND r.record_id = '${i}-1'`,
    )
  ).getRowObjects()[0]!;
  const got = Object.fromEntries(
    names.map((n) => {
      const c = FIELD_COMPARISONS.find((x) => x.name === n)!;
      const level = row[`c_${n}`];
      return [n, level === null ? null : c.levels[Number(level)]];
    }),
  );
  expect(got).toEqual(expected);
});
