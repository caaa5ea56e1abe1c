// The customer-record generator: DESIGN 3.0 schema, exact counts, determinism by seed, and the
// noise both model-scoring and the address standardizer rely on actually being there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { CUSTOMER_COLUMNS, generateCustomers, type GeneratedCustomers } from '../../datagen/customers.js';

const N = 20_000;
let dir: string;
let gen: GeneratedCustomers;
let instance: DuckDBInstance;
let conn: DuckDBConnection;

async function one(sql: string): Promise<Record<string, unknown>> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjects()[0] as Record<string, unknown>;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'customers-gen-'));
  gen = await generateCustomers({ records: N, seed: 11, out: path.join(dir, 'a'), recordsPerFile: 8_000 });
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await conn.run(`CREATE VIEW r AS SELECT * FROM read_parquet('${gen.recordsDir}/*.parquet')`);
  await conn.run(`CREATE VIEW l AS SELECT * FROM read_parquet('${gen.labelsFile}')`);
});
afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('writes exactly N records in the DESIGN 3.0 schema, split into files, with one label each', async () => {
  expect(gen.files).toBe(3);
  expect(fs.readdirSync(gen.recordsDir).sort()).toEqual([
    'part-00000.parquet',
    'part-00001.parquet',
    'part-00002.parquet',
  ]);
  const cols = (await conn.runAndReadAll('DESCRIBE r')).getRowObjects();
  expect(cols.map((c) => c.column_name)).toEqual([...CUSTOMER_COLUMNS]);
  const types = Object.fromEntries(cols.map((c) => [c.column_name, c.column_type]));
  expect(types.dob).toBe('DATE');
  expect(types.updated_at).toBe('TIMESTAMP');
  expect(types.record_id).toBe('VARCHAR');
  const c = await one(
    'SELECT count(*) AS n, count(DISTINCT record_id) AS ids, (SELECT count(*) FROM l) AS labels, (SELECT count(*) FROM r JOIN l USING (record_id)) AS joined FROM r',
  );
  expect(c).toEqual({ n: BigInt(N), ids: BigInt(N), labels: BigInt(N), joined: BigInt(N) });
});

test('people have 1 to 5 records each, mean about 2.3', async () => {
  const c = await one(
    'SELECT min(k) AS lo, max(k) AS hi, avg(k) AS mean FROM (SELECT person_id, count(*) AS k FROM l GROUP BY 1)',
  );
  expect(Number(c.lo)).toBe(1);
  expect(Number(c.hi)).toBe(5);
  expect(Number(c.mean)).toBeGreaterThan(2.1);
  expect(Number(c.mean)).toBeLessThan(2.5);
});

test('the same seed gives identical files; another seed gives other data', async () => {
  const again = await generateCustomers({
    records: N,
    seed: 11,
    out: path.join(dir, 'b'),
    recordsPerFile: 8_000,
  });
  const other = await generateCustomers({ records: 2_000, seed: 12, out: path.join(dir, 'c') });
  const digest = async (d: string) =>
    (
      await one(
        `SELECT md5(string_agg(r::VARCHAR, '|' ORDER BY record_id)) AS h FROM read_parquet('${d}/*.parquet') r`,
      )
    ).h;
  expect(await digest(again.recordsDir)).toBe(await digest(gen.recordsDir));
  const firstA = await one(`SELECT first_name, last_name FROM r WHERE record_id = 'c000000001'`);
  const firstC = await one(
    `SELECT first_name, last_name FROM read_parquet('${other.recordsDir}/*.parquet') WHERE record_id = 'c000000001'`,
  );
  expect(firstC).not.toEqual(firstA);
});

test('carries the noise of real customer data', async () => {
  const c = await one(`
    WITH j AS (SELECT r.*, l.person_id FROM r JOIN l USING (record_id)),
    pairs AS (
      SELECT a.*, b.first_name AS fn2, b.last_name AS ln2, b.dob AS dob2, b.zip AS zip2
      FROM j a JOIN j b ON a.person_id = b.person_id AND a.record_id < b.record_id)
    SELECT
      count(*) FILTER (WHERE lower(first_name) = 'bob') AS bobs,
      count(*) FILTER (WHERE lower(first_name) = 'robert') AS roberts,
      count(*) FILTER (WHERE email IS NULL) AS no_email,
      count(*) FILTER (WHERE email <> trim(email) OR email <> lower(email)) AS email_variants,
      count(DISTINCT regexp_replace(phone, '[0-9]', '9', 'g')) AS phone_formats,
      count(*) FILTER (WHERE zip LIKE '_____-____') AS zip4,
      count(*) FILTER (WHERE address_line <> trim(address_line) OR address_line LIKE '%  %') AS ws,
      count(*) FILTER (WHERE regexp_matches(address_line, ' (Apt|APT|apt|#|Suite|SUITE|suite|Ste|STE|ste|Unit|UNIT|unit)')) AS units,
      count(*) FILTER (WHERE regexp_matches(address_line, '(?i) (St|Ave|Rd|Dr|Ln)\\.?( |$)')) AS abbr,
      count(*) FILTER (WHERE regexp_matches(address_line, '(?i) (Street|Avenue|Road|Drive|Lane)( |$)')) AS full_sfx,
      count(*) FILTER (WHERE address_line = upper(address_line)) AS upper_addr,
      (SELECT count(*) FROM pairs WHERE lower(first_name) = lower(ln2) AND lower(last_name) = lower(fn2) AND lower(first_name) <> lower(last_name)) AS swapped,
      (SELECT count(*) FROM pairs WHERE month(dob) = day(dob2) AND day(dob) = month(dob2) AND dob <> dob2) AS dob_swapped,
      (SELECT count(*) FROM pairs WHERE substr(zip, 1, 5) <> substr(zip2, 1, 5)) AS moved
    FROM r`);
  const n = (k: string) => Number(c[k]);
  expect(n('bobs')).toBeGreaterThan(10);
  expect(n('roberts')).toBeGreaterThan(n('bobs'));
  expect(n('no_email') / N).toBeGreaterThan(0.1);
  expect(n('email_variants')).toBeGreaterThan(N * 0.1);
  expect(n('phone_formats')).toBeGreaterThanOrEqual(6);
  expect(n('zip4')).toBeGreaterThan(N * 0.2);
  expect(n('ws')).toBeGreaterThan(N * 0.05);
  expect(n('units')).toBeGreaterThan(N * 0.1);
  expect(n('abbr')).toBeGreaterThan(N * 0.1);
  expect(n('full_sfx')).toBeGreaterThan(N * 0.1);
  expect(n('upper_addr')).toBeGreaterThan(N * 0.1);
  expect(n('swapped')).toBeGreaterThan(10);
  expect(n('dob_swapped')).toBeGreaterThan(10);
  expect(n('moved')).toBeGreaterThan(100);
});

test('households: relatives share last name and address but are different people', async () => {
  const c = await one(`
    WITH j AS (SELECT r.*, l.person_id FROM r JOIN l USING (record_id))
    SELECT count(*) AS n FROM j a JOIN j b
      ON a.record_id < b.record_id AND a.person_id <> b.person_id
     AND lower(a.last_name) = lower(b.last_name) AND upper(trim(a.address_line)) = upper(trim(b.address_line))
     AND a.zip = b.zip`);
  expect(Number(c.n)).toBeGreaterThan(50);
});

test('independent fields are independent: no email shared by many people', async () => {
  // Regression: with correlated hashes, first name, email style and domain moved together and
  // dozens of different people shared one first_last@domain address.
  const c = await one(`
    SELECT max(people) AS worst, count(*) FILTER (WHERE people > 1) AS shared FROM (
      SELECT count(DISTINCT l.person_id) AS people FROM r JOIN l USING (record_id)
      WHERE email IS NOT NULL GROUP BY lower(trim(email)))`);
  // 20k records: ~40 emails shared by two people (same name, no number); the correlated
  // generator gave ~230.
  expect(Number(c.shared)).toBeLessThan(100);
  expect(Number(c.worst)).toBeLessThanOrEqual(3);
});
