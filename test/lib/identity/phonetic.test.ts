// Soundex: the DuckDB macro (what blocking keys use) agrees with the TypeScript form, and both
// give the published codes of the classic examples.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { installPhoneticMacros, soundex } from '../../../lib/identity/phonetic.js';

let db: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await installPhoneticMacros(conn);
});
afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
});

const KNOWN: [string, string][] = [
  ['robert', 'R163'],
  ['rupert', 'R163'],
  ['rubin', 'R150'],
  ['ashcraft', 'A261'],
  ['ashcroft', 'A261'],
  ['tymczak', 'T522'],
  ['pfister', 'P236'],
  ['honeyman', 'H555'],
  ['lee', 'L000'],
  ['smith', 'S530'],
  ['smyth', 'S530'],
];

test.each(KNOWN)('soundex(%s) = %s in SQL and in TypeScript', async (name, code) => {
  expect(soundex(name)).toBe(code);
  const r = await conn.runAndReadAll(`SELECT db_soundex('${name}')`);
  expect(r.getRows()[0]![0]).toBe(code);
});

test('SQL and TypeScript agree on many generated names; empty and NULL give NULL', async () => {
  const names = Array.from({ length: 300 }, (_, i) =>
    [...`${(i * 7919).toString(36)}xq${(i * 104729).toString(36)}`].filter((c) => /[a-z]/.test(c)).join(''),
  ).filter(Boolean);
  const r = await conn.runAndReadAll(
    `SELECT v, db_soundex(v) FROM (VALUES ${names.map((n) => `('${n}')`).join(', ')}) t(v)`,
  );
  for (const [v, code] of r.getRows()) expect(code).toBe(soundex(String(v)));
  const nulls = await conn.runAndReadAll(`SELECT db_soundex(''), db_soundex(NULL)`);
  expect(nulls.getRows()[0]).toEqual([null, null]);
});
