// Training picks how location is scored from the households it finds: generated records (relatives
// at one address) keep location counted once; the same records with every shared address left to
// one person (each shared address then a duplicate's, as in FEBRL) score every location field.
// The second set is built from the generator's labels, independently of the detector.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateIntlCustomers } from '../../../datagen/customers-intl.js';
import {
  EACH_LOCATION_COMPARISONS,
  comparisonColumnsSql,
  trainableComparisons,
} from '../../../lib/identity/comparisons.js';
import { detectFields, prepareRecords } from '../../../lib/identity/prepare.js';
import { HOUSEHOLD_SHARE, detectHouseholds } from '../../../lib/identity/households.js';
import { trainModel } from '../../../lib/identity/train.js';
import { inMemoryDuckDB } from '../../helpers/duckdb.js';

const db = inMemoryDuckDB();
let dir: string;
let withHouseholds: string;
let withoutHouseholds: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'households-'));
  const out = await generateIntlCustomers({ records: 6000, seed: 7, out: dir });
  withHouseholds = path.join(out.recordsDir, '*.parquet');
  // Every address shared by two or more people keeps only its first person's records.
  withoutHouseholds = path.join(dir, 'no-households.parquet');
  await db.conn.run(`COPY (
      WITH r AS (SELECT r.*, l.person_id, lower(trim(r.address_line)) || '|' || upper(trim(r.zip)) AS home
                 FROM '${withHouseholds}' r JOIN '${out.labelsFile}' l USING (record_id)),
      first_person AS (SELECT home, min(person_id) AS person_id FROM r GROUP BY home)
      SELECT r.* EXCLUDE (person_id, home) FROM r JOIN first_person f ON f.home = r.home AND f.person_id = r.person_id
    ) TO '${withoutHouseholds}' (FORMAT parquet)`);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function prepared(file: string) {
  const fields = await detectFields(db.conn, [file]);
  const { records } = await prepareRecords(db.conn, { files: [file], fields, shards: 1, maxBlockSize: 1000 });
  return { fields, records };
}

test('relatives at one address: location counted once', async () => {
  const { fields } = await prepared(withHouseholds);
  const found = await detectHouseholds(db.conn, fields.present, 1000);
  expect(found.sameAddressPairs).toBeGreaterThan(500);
  expect(found.differentPeople / found.sameAddressPairs).toBeGreaterThan(HOUSEHOLD_SHARE);
  expect(found.location).toBe('once');
  expect(found.reason).toMatch(/are different people: households, location counted once/);
});

test('every shared address a duplicate: every location field scored, and training uses them', async () => {
  const { fields, records } = await prepared(withoutHouseholds);
  const found = await detectHouseholds(db.conn, fields.present, 1000);
  expect(found.sameAddressPairs).toBeGreaterThan(200);
  expect(found.differentPeople / found.sameAddressPairs).toBeLessThan(HOUSEHOLD_SHARE);
  expect(found.location).toBe('each');
  const trained = await trainModel(db.conn, { kind: 'fellegi-sunter', fields, records, maxBlockSize: 1000 });
  expect(trained.households.location).toBe('each');
  expect(trained.model.comparisons).toEqual(
    expect.arrayContaining(['postcode_dl_each', 'city_each', 'state_each']),
  );
  expect(trained.model.comparisons).not.toContain('city');
  // Asked for explicitly, the scheme wins over the evidence.
  const asked = await trainModel(db.conn, {
    kind: 'fellegi-sunter',
    fields,
    records,
    maxBlockSize: 1000,
    location: 'once',
  });
  expect(asked.model.comparisons).toEqual(expect.arrayContaining(['postcode_dl', 'city', 'state']));
  expect(asked.households.reason).toBe('location scored once (asked for)');
});

test('without a birth date or too few shared addresses the default stays', async () => {
  const { fields } = await prepared(withHouseholds);
  const noDob = await detectHouseholds(
    db.conn,
    fields.present.filter((f) => f !== 'dob'),
    1000,
  );
  expect(noDob).toMatchObject({ location: 'once', sameAddressPairs: 0 });
  expect(noDob.reason).toMatch(/not measured \(no dob\)/);
  await db.conn.run('CREATE OR REPLACE TABLE prep AS SELECT * FROM prep LIMIT 300');
  const few = await detectHouseholds(db.conn, fields.present, 1000);
  expect(few.location).toBe('once');
  expect(few.reason).toMatch(/too few to tell/);
});

test('the each-field comparisons score city and state where the postcode agrees', async () => {
  expect(trainableComparisons('each').map((c) => c.name)).toEqual(
    trainableComparisons('once').map(
      (c) => ({ postcode_dl: 'postcode_dl_each', city: 'city_each', state: 'state_each' })[c.name] ?? c.name,
    ),
  );
  const row = (
    await db.conn.runAndReadAll(`SELECT ${comparisonColumnsSql([...trainableComparisons('each')])}
      FROM (SELECT '12 OAK ST' AS addr, '12' AS hn, 'OAK ST' AS st, 'OAKST' AS st_ns, '2600' AS pc, 'CANBERRA' AS city_n, 'ACT' AS state_n,
                   NULL AS fn, NULL AS fn_canon, NULL AS ln, NULL AS dob_s, NULL AS email, NULL AS email_local, NULL AS phone,
                   0.01 AS tf_fn, 0.01 AS tf_ln, 0.01 AS tf_pc, 0.01 AS tf_city) l,
           (SELECT '12 OAK ST' AS addr, '12' AS hn, 'OAK ST' AS st, 'OAKST' AS st_ns, '2600' AS pc, 'CANBERA' AS city_n, 'ACT' AS state_n,
                   NULL AS fn, NULL AS fn_canon, NULL AS ln, NULL AS dob_s, NULL AS email, NULL AS email_local, NULL AS phone,
                   0.01 AS tf_fn, 0.01 AS tf_ln, 0.01 AS tf_pc, 0.01 AS tf_city) r`)
  ).getRowObjects()[0]!;
  expect(EACH_LOCATION_COMPARISONS.map((c) => Number(row[`c_${c.name}`]))).toEqual([0, 1, 0]);
  expect(Number(row.c_street)).toBe(0);
});
