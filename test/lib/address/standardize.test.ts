// The address standardizer: a table of real-looking addresses with hand-written Pub 28 results,
// the TS and DuckDB SQL forms agreeing on them and on randomly messed-up variants, and one
// address_id for two spellings of one address.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  installAddressMacros,
  standardizeAddress,
  type StandardAddress,
} from '../../../lib/address/index.js';
import { ADDRESS_CASES, SAME_ADDRESS_PAIRS } from './cases.js';

let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await installAddressMacros(conn);
});
afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
});

async function sqlStandardize(rows: Array<[string | null, string | null, string | null, string | null]>) {
  await conn.run(
    'CREATE OR REPLACE TABLE raw (i INTEGER, line VARCHAR, city VARCHAR, state VARCHAR, zip VARCHAR)',
  );
  const appender = await conn.createAppender('raw');
  rows.forEach(([line, city, state, zip], i) => {
    appender.appendInteger(i);
    for (const v of [line, city, state, zip]) {
      if (v === null) appender.appendNull();
      else appender.appendVarchar(v);
    }
    appender.endRow();
  });
  appender.closeSync();
  const reader = await conn.runAndReadAll(`
    WITH s AS (SELECT i, std_addr_line(line) AS line, std_addr_city(city) AS city,
                      std_addr_state(state) AS state, std_addr_zip5(zip) AS zip5 FROM raw)
    SELECT line, city, state, zip5, std_address_id(line, city, state, zip5) AS address_id FROM s ORDER BY i`);
  return reader.getRowObjectsJson().map((r): StandardAddress => ({
    line: r.line as string | null,
    city: r.city as string | null,
    state: r.state as string | null,
    zip5: r.zip5 as string | null,
    addressId: r.address_id as string | null,
  }));
}

describe('table of real-looking addresses', () => {
  test('has at least 50 cases', () => expect(ADDRESS_CASES.length).toBeGreaterThanOrEqual(50));

  test.each(ADDRESS_CASES.map((c, i) => [i, ...c] as const))(
    'case %i: %j',
    (_i, line, city, state, zip, eLine, eCity, eState, eZip) => {
      const got = standardizeAddress({ line, city, state, zip });
      expect([got.line, got.city, got.state, got.zip5]).toEqual([eLine, eCity, eState, eZip]);
      if (eLine === null) expect(got.addressId).toBeNull();
      else expect(got.addressId).toMatch(/^[0-9a-f]{24}$/);
    },
  );

  test('two spellings of one address get one address_id, different addresses different ids', () => {
    const ids = ADDRESS_CASES.map(
      ([line, city, state, zip]) => standardizeAddress({ line, city, state, zip }).addressId,
    );
    for (const [a, b] of SAME_ADDRESS_PAIRS) expect(ids[a], `cases ${a} and ${b}`).toBe(ids[b]);
    const distinct = new Set(ids.filter((id) => id !== null));
    const sameGroups = SAME_ADDRESS_PAIRS.length - 1; // pairs 0-1 and 0-2 share one address
    expect(distinct.size).toBe(ADDRESS_CASES.filter((c) => c[4] !== null).length - sameGroups - 1);
  });
});

describe('the DuckDB SQL form agrees with the TypeScript form', () => {
  test('on every case of the table', async () => {
    const rows = ADDRESS_CASES.map(
      ([l, c, s, z]) => [l, c, s, z] as [string | null, string | null, string | null, string | null],
    );
    const sql = await sqlStandardize(rows);
    expect(sql).toEqual(
      rows.map(([line, city, state, zip]) => standardizeAddress({ line, city, state, zip })),
    );
  });

  test('on 3,000 randomly messed-up variants', async () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const mess = (s: string | null) => {
      if (s === null) return null;
      let out = rand() < 0.5 ? s.toLowerCase() : s;
      if (rand() < 0.3) out = out.replaceAll(' ', pick(['  ', ' \t', ', ', '. ']));
      if (rand() < 0.2) out = ` ${out}${pick(['.', ',', ' #', '-', ' '])}`;
      if (rand() < 0.1) out = out.replace('e', pick(['é', 'è', 'ë']));
      return out;
    };
    const rows = Array.from({ length: 3000 }, () => {
      const [l, c, s, z] = pick(ADDRESS_CASES);
      const zip =
        z === null
          ? null
          : pick([z, `${z.slice(0, 5)}-${Math.floor(rand() * 9000 + 1000)}`, z.replace(/^0/, '')]);
      return [mess(l), mess(c), mess(s), zip] as [string | null, string | null, string | null, string | null];
    });
    const sql = await sqlStandardize(rows);
    const ts = rows.map(([line, city, state, zip]) => standardizeAddress({ line, city, state, zip }));
    for (let i = 0; i < rows.length; i++) expect(sql[i], JSON.stringify(rows[i])).toEqual(ts[i]);
  });
});
