// Each comparison level on hand-made record pairs, through the same normalization the pipeline
// runs (prepareRecords), so spelling variants are resolved exactly as in production.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { COMPARISON_LIBRARY, COMPARISONS, comparisonColumnsSql } from '../../../lib/identity/comparisons.js';
import { prepareRecords, TF_COLUMNS } from '../../../lib/identity/prepare.js';

type Rec = Partial<
  Record<'first_name' | 'last_name' | 'email' | 'phone' | 'dob' | 'address_line' | 'zip', string>
>;

// [case name, comparison, expected level (null = missing), left, right]
const CASES: [string, string, string | null, Rec, Rec][] = [
  [
    'same first name, other case/spaces',
    'first_name',
    'exact',
    { first_name: 'Robert' },
    { first_name: ' ROBERT ' },
  ],
  ['nickname', 'first_name', 'nickname', { first_name: 'Bob' }, { first_name: 'Robert' }],
  ['nickname both sides', 'first_name', 'nickname', { first_name: 'Peggy' }, { first_name: 'maggie' }],
  [
    'first/last swapped',
    'first_name',
    'swapped',
    { first_name: 'Smith', last_name: 'John' },
    { first_name: 'John', last_name: 'Smith' },
  ],
  ['first name typo', 'first_name', 'close', { first_name: 'Christopher' }, { first_name: 'Christohper' }],
  ['other first name', 'first_name', 'different', { first_name: 'John' }, { first_name: 'Mary' }],
  ['first name missing', 'first_name', null, { first_name: 'John' }, {}],
  ['first name only punctuation', 'first_name', null, { first_name: 'John' }, { first_name: '--' }],
  ['same last name', 'last_name', 'exact', { last_name: "O'Brien" }, { last_name: 'OBRIEN' }],
  [
    'last/first swapped',
    'last_name',
    'swapped',
    { first_name: 'Smith', last_name: 'John' },
    { first_name: 'John', last_name: 'Smith' },
  ],
  ['last name typo', 'last_name', 'close', { last_name: 'Thompson' }, { last_name: 'Thomspon' }],
  ['other last name', 'last_name', 'different', { last_name: 'Garcia' }, { last_name: 'Nguyen' }],
  ['last name missing', 'last_name', null, {}, { last_name: 'Nguyen' }],
  [
    'email case, spaces, plus tag',
    'email',
    'exact',
    { email: ' John.Smith@X.com ' },
    { email: 'john.smith+shop@x.com' },
  ],
  [
    'same mailbox name, other domain',
    'email',
    'same_local',
    { email: 'john.smith@gmail.com' },
    { email: 'john.smith@yahoo.com' },
  ],
  [
    'mailbox names 1 edit apart',
    'email',
    'close',
    { email: 'jsmith1@gmail.com' },
    { email: 'jsmith12@aol.com' },
  ],
  ['other email', 'email', 'different', { email: 'ann@gmail.com' }, { email: 'bob.jones@acme.com' }],
  ['invalid email is missing', 'email', null, { email: 'not an email' }, { email: 'ann@gmail.com' }],
  ['phone formats', 'phone', 'exact', { phone: '(212) 555-0101' }, { phone: '+1 212 555 0101' }],
  ['phone one digit off', 'phone', 'close', { phone: '212.555.0101' }, { phone: '2125550102' }],
  ['other phone', 'phone', 'different', { phone: '2125550101' }, { phone: '6175559999' }],
  ['short phone is missing', 'phone', null, { phone: '555-0101' }, { phone: '2125550101' }],
  ['same dob', 'dob', 'exact', { dob: '1980-03-04' }, { dob: '1980-03-04' }],
  ['day/month swapped', 'dob', 'swapped', { dob: '1980-03-04' }, { dob: '1980-04-03' }],
  ['dob year off by one', 'dob', 'close', { dob: '1980-03-04' }, { dob: '1981-03-04' }],
  ['other dob', 'dob', 'different', { dob: '1980-03-04' }, { dob: '1955-11-23' }],
  ['dob missing', 'dob', null, { dob: '1980-03-04' }, {}],
  [
    'address spelled two ways',
    'address',
    'exact',
    { address_line: '12 North Main Street Apt 4', zip: '10001' },
    { address_line: '12 N. MAIN ST  APT 4', zip: '10001-1234' },
  ],
  [
    'same street, unit missing',
    'address',
    'street',
    { address_line: '12 Main St Apt 4', zip: '10001' },
    { address_line: '12 Main Street', zip: '10001' },
  ],
  [
    'house number typo',
    'address',
    'close',
    { address_line: '1234 Main St', zip: '10001' },
    { address_line: '1243 Main St', zip: '10001' },
  ],
  [
    'same ZIP only',
    'address',
    'same_zip',
    { address_line: '5 Oak Ave', zip: '10001' },
    { address_line: '99 Pine Rd', zip: '10001' },
  ],
  [
    'moved',
    'address',
    'different',
    { address_line: '5 Oak Ave', zip: '10001' },
    { address_line: '99 Pine Rd', zip: '94105' },
  ],
  ['address missing', 'address', null, { zip: '10001' }, { address_line: '99 Pine Rd', zip: '10001' }],
];

let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;
const lit = (v: string | undefined) => (v === undefined ? 'NULL' : `'${v.replaceAll("'", "''")}'`);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cmp-'));
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  const rows = CASES.flatMap(([, , , l, r], i) =>
    [l, r].map(
      (x, side) =>
        `('${i}-${side}', ${lit(x.first_name)}, ${lit(x.last_name)}, ${lit(x.email)}, ${lit(x.phone)}, ${x.dob ? `DATE ${lit(x.dob)}` : 'NULL'}, ${lit(x.address_line)}, ${lit(x.zip)})`,
    ),
  );
  const file = path.join(dir, 'records.parquet');
  await conn.run(`COPY (SELECT * FROM (VALUES ${rows.join(', ')})
      t(record_id, first_name, last_name, email, phone, dob, address_line, zip)) TO '${file}' (FORMAT parquet)`);
  await prepareRecords(conn, { files: [file], shards: 1, maxBlockSize: 1000 });
});
afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

test.each(CASES.map((c, i) => [i, ...c] as const))(
  '#%i %s: %s -> %s',
  async (i, _name, comparison, expected) => {
    const c = COMPARISONS.find((x) => x.name === comparison)!;
    const reader = await conn.runAndReadAll(
      `SELECT ${comparisonColumnsSql()} FROM prep l, prep r WHERE l.record_id = '${i}-0' AND r.record_id = '${i}-1'`,
    );
    const level = reader.getRowObjects()[0]![`c_${comparison}`];
    expect(level === null ? null : c.levels[Number(level)]).toBe(expected);
  },
);

test('every level of every comparison is exercised', () => {
  for (const c of COMPARISONS) {
    const seen = new Set(CASES.filter((x) => x[1] === c.name).map((x) => x[2]));
    expect([...c.levels, null].filter((l) => !seen.has(l))).toEqual([]);
  }
});

// The score reads a pair's term frequency from l alone (comparisonColumnsSql), which is right
// only where level 0 means both records have the value the frequency is counted on.
test("a term-frequency adjusted comparison's exact level is that value agreeing", () => {
  const adjusted = [...COMPARISON_LIBRARY.values()].filter((c) => c.tf);
  expect(adjusted.length).toBeGreaterThan(0);
  for (const c of adjusted) {
    const value = TF_COLUMNS[c.tf as keyof typeof TF_COLUMNS];
    expect(value, `${c.name}: ${c.tf} is not a term-frequency column`).toBeDefined();
    expect(c.sql, c.name).toMatch(new RegExp(`WHEN l\\.${value} = r\\.${value} THEN 0\\b`));
    expect(comparisonColumnsSql([c])).toContain(`l.${c.tf} AS t_${c.name}`);
  }
});
