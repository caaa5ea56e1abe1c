// The second test world's generator: its schema (no email, no phone, text dates), exact counts,
// determinism by seed, and the noise it promises actually being there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { generateIntlCustomers, INTL_COLUMNS } from '../../datagen/customers-intl.js';

const N = 10_000;
let dir: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;

async function one(sql: string): Promise<Record<string, unknown>> {
  return (await conn.runAndReadAll(sql)).getRowObjects()[0] as Record<string, unknown>;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'customers-intl-'));
  const a = await generateIntlCustomers({
    records: N,
    seed: 5,
    out: path.join(dir, 'a'),
    recordsPerFile: 4_000,
  });
  await generateIntlCustomers({ records: N, seed: 5, out: path.join(dir, 'b') });
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await conn.run(`CREATE TABLE r AS SELECT * FROM read_parquet('${a.recordsDir}/*.parquet')`);
  await conn.run(`CREATE TABLE l AS SELECT * FROM read_parquet('${a.labelsFile}')`);
  await conn.run(`CREATE TABLE rb AS SELECT * FROM read_parquet('${dir}/b/records/*.parquet')`);
});
afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('exactly N records without email or phone, dates as text, one label each', async () => {
  const cols = (await conn.runAndReadAll('DESCRIBE r')).getRowObjects();
  expect(cols.map((c) => c.column_name)).toEqual([...INTL_COLUMNS]);
  expect(cols.find((c) => c.column_name === 'dob')!.column_type).toBe('VARCHAR');
  const c = await one(
    `SELECT count(*) AS n, count(DISTINCT record_id) AS ids, (SELECT count(*) FROM l) AS labels FROM r`,
  );
  expect(c).toEqual({ n: BigInt(N), ids: BigInt(N), labels: BigInt(N) });
});

test('the same seed gives the same records', async () => {
  const d = await one(`SELECT count(*) AS n FROM (SELECT * FROM r EXCEPT SELECT * FROM rb)`);
  expect(Number(d.n)).toBe(0);
});

test('the noise is there: several typos in one duplicate, swaps, missing values, foreign formats', async () => {
  const s = await one(`
    WITH j AS (SELECT r.*, l.person_id FROM r JOIN l USING (record_id)),
    orig AS (SELECT person_id, min(record_id) AS first FROM j GROUP BY 1),
    pairs AS (
      SELECT a.*, b.first_name AS fn2, b.last_name AS ln2, b.dob AS dob2, b.zip AS zip2
      FROM j a JOIN orig o ON o.first = a.record_id JOIN j b ON b.person_id = a.person_id AND b.record_id <> a.record_id)
    SELECT
      avg(CASE WHEN zip IS NULL THEN 1 ELSE 0 END) AS zip_null,
      avg(CASE WHEN regexp_full_match(dob, '\\d{2}\\.\\d{2}\\.\\d{4}') THEN 1 ELSE 0 END) AS dob_dotted,
      avg(CASE WHEN regexp_full_match(zip, '[A-Z]{1,2}\\d{1,2} \\d[A-Z]{2}') THEN 1 ELSE 0 END) AS uk_postcode,
      (SELECT avg(CASE WHEN lower(first_name) = lower(ln2) AND lower(last_name) = lower(fn2) THEN 1 ELSE 0 END) FROM pairs) AS swapped,
      (SELECT avg(CASE WHEN (lower(first_name) <> lower(fn2))::INT + (dob <> dob2)::INT + (upper(replace(zip, ' ', '')) <> upper(replace(zip2, ' ', '')))::INT >= 2 THEN 1 ELSE 0 END) FROM pairs) AS multi
    FROM r`);
  expect(Number(s.zip_null)).toBeGreaterThan(0.03);
  expect(Number(s.dob_dotted)).toBeGreaterThan(0.1);
  expect(Number(s.uk_postcode)).toBeGreaterThan(0.05);
  expect(Number(s.swapped)).toBeGreaterThan(0.01);
  expect(Number(s.multi)).toBeGreaterThan(0.03);
});
