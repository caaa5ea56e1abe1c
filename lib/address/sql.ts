// The address standardizer as DuckDB macros, for bulk use inside feature-view SQL: the records
// never leave DuckDB (no per-row round trip to JS). Same steps and same tables as ./standardize.ts;
// test/lib/address checks that both forms agree. Why not the parse-address package: it parses
// (number, street, type, unit) rather than standardizes, runs ~40k/s/core in JS only, and has had
// no release in years; Pub 28 standardization is a token map, which both forms share.
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../duckdb.js';
import { ADDRESS_ID_LENGTH } from './standardize.js';
import { LINE_TOKEN_MAP, STATE_CODES, UNIT_HASH_PATTERN } from './tables.js';

function mapLiteral(map: Record<string, string>): string {
  const entries = Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `MAP {${entries.map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`).join(', ')}}`;
}

/**
 * Session variables (the token maps) and CREATE MACRO statements: std_addr_line(s), std_addr_city(s), std_addr_state(s),
 * std_addr_zip5(z), std_address_id(line, city, state, zip5) (arguments already standardized).
 */
export const ADDRESS_MACROS: string[] = [
  `SET VARIABLE std_addr_line_map = ${mapLiteral(LINE_TOKEN_MAP)}`,
  `SET VARIABLE std_addr_state_map = ${mapLiteral(STATE_CODES)}`,
  `CREATE OR REPLACE MACRO std_addr_prepare(s) AS
     upper(regexp_replace(regexp_replace(strip_accents(CAST(s AS VARCHAR)), '[.''’]', '', 'g'),
                          '[^\\x00-\\x7F]', ' ', 'g'))`,
  `CREATE OR REPLACE MACRO std_addr_collapse(s) AS nullif(trim(regexp_replace(s, ' +', ' ', 'g')), '')`,
  // '#' split off, punctuation -> space, '#' after a unit designator dropped (one regex, the same
  // as the TS form: referring to the token list inside a lambda would recompute it per token),
  // then tokens: empty and dash/slash-only ones dropped, each mapped through the Pub 28 table.
  // The map lives in a session variable: a MAP literal inside a lambda is rebuilt per token.
  `CREATE OR REPLACE MACRO std_addr_line(s) AS
     nullif(array_to_string(list_transform(
       list_filter(
         string_split(regexp_replace(
           regexp_replace(replace(std_addr_prepare(s), '#', ' # '), '[^A-Z0-9#/ -]', ' ', 'g'),
           ${sqlString(UNIT_HASH_PATTERN)}, '\\1\\2\\3\\4', 'g'), ' '),
         lambda t: trim(t, '-/') <> ''),
       lambda t: coalesce(getvariable('std_addr_line_map')[t], t)), ' '), '')`,
  `CREATE OR REPLACE MACRO std_addr_city(s) AS
     std_addr_collapse(regexp_replace(std_addr_prepare(s), '[^A-Z0-9 -]', ' ', 'g'))`,
  `CREATE OR REPLACE MACRO std_addr_state_clean(s) AS
     std_addr_collapse(regexp_replace(std_addr_prepare(s), '[^A-Z ]', ' ', 'g'))`,
  `CREATE OR REPLACE MACRO std_addr_state(s) AS
     coalesce(getvariable('std_addr_state_map')[std_addr_state_clean(s)], std_addr_state_clean(s))`,
  `CREATE OR REPLACE MACRO std_addr_zip_digits(z) AS
     regexp_replace(split_part(CAST(z AS VARCHAR), '-', 1), '[^0-9]', '', 'g')`,
  `CREATE OR REPLACE MACRO std_addr_zip5(z) AS
     CASE WHEN length(std_addr_zip_digits(z)) IN (5, 9) THEN left(std_addr_zip_digits(z), 5)
          WHEN length(std_addr_zip_digits(z)) = 4 THEN '0' || std_addr_zip_digits(z)
          ELSE NULL END`,
  `CREATE OR REPLACE MACRO std_address_id(line, city, state, zip5) AS
     CASE WHEN line IS NULL THEN NULL
          ELSE left(md5(line || '|' || coalesce(city, '') || '|' || coalesce(state, '') || '|' || coalesce(zip5, '')),
                    ${ADDRESS_ID_LENGTH}) END`,
];

/** Defines the std_addr_* macros on a connection (idempotent). */
export async function installAddressMacros(conn: DuckDBConnection): Promise<void> {
  for (const stmt of ADDRESS_MACROS) await conn.run(stmt);
}
