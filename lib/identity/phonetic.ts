// American Soundex as a DuckDB macro, for blocking keys that survive a typo in a name
// (Smith/Smyth, Robert/Rupert). DuckDB has no phonetic function built in and its regular
// expressions (RE2) have no back-references, so repeated codes are collapsed digit by digit.
// The TypeScript form is the tests' independent check.
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../duckdb.js';

/** Letter -> Soundex digit; vowels and y are 0 (they separate repeats), h and w are dropped. */
const CODES: Record<string, string> = {
  a: '0',
  e: '0',
  i: '0',
  o: '0',
  u: '0',
  y: '0',
  b: '1',
  f: '1',
  p: '1',
  v: '1',
  c: '2',
  g: '2',
  j: '2',
  k: '2',
  q: '2',
  s: '2',
  x: '2',
  z: '2',
  d: '3',
  t: '3',
  l: '4',
  m: '5',
  n: '5',
  r: '6',
};

export function soundex(name: string | null): string | null {
  const s = (name ?? '').toLowerCase().replace(/[^a-z]/g, '');
  if (!s) return null;
  const digits = [...s].map((ch) => CODES[ch] ?? '').join('');
  const collapsed = digits.replace(/(\d)\1+/g, '$1');
  return `${s[0]!.toUpperCase()}${collapsed.slice(1).replaceAll('0', '')}000`.slice(0, 4);
}

const from = Object.keys(CODES).join('');
const to = Object.values(CODES).join('');

export const PHONETIC_MACROS: string[] = [
  // translate() deletes the characters of `from` beyond the length of `to`: h and w.
  `CREATE OR REPLACE MACRO db_soundex_digits(s) AS translate(s, ${sqlString(`${from}hw`)}, ${sqlString(to)})`,
  `CREATE OR REPLACE MACRO db_soundex_collapse(d) AS ${[...'0123456'].reduce(
    (acc, digit) => `regexp_replace(${acc}, '${digit}+', '${digit}', 'g')`,
    'd',
  )}`,
  // Input: lower-case letters only (the normalized names), else NULL.
  `CREATE OR REPLACE MACRO db_soundex(s) AS CASE WHEN s IS NULL OR s = '' THEN NULL ELSE
     upper(s[1]) || rpad(left(replace(db_soundex_collapse(db_soundex_digits(s))[2:], '0', ''), 3), 3, '0') END`,
];

export async function installPhoneticMacros(conn: DuckDBConnection): Promise<void> {
  for (const stmt of PHONETIC_MACROS) await conn.run(stmt);
}
