// The address standardizer in TypeScript (USPS Publication 28 style). It mirrors the DuckDB SQL
// form in ./sql.ts step for step; a test checks that both agree on every address of the table.
// Steps for an address line: strip accents, delete . and apostrophes, other non-ASCII -> space,
// upper case, '#' split off as its own token, other punctuation -> space, tokens mapped through
// '#' after a unit designator dropped, tokens mapped through the Pub 28 tables (suffixes,
// directionals, unit designators).
import { createHash } from 'node:crypto';
import { LINE_TOKEN_MAP, STATE_CODES, UNIT_HASH_PATTERN } from './tables.js';

export interface RawAddress {
  line: string | null | undefined;
  city?: string | null;
  state?: string | null;
  zip?: string | number | null;
}

export interface StandardAddress {
  line: string | null;
  city: string | null;
  state: string | null;
  zip5: string | null;
  /** Derived from the standardized parts; null when there is no address line. */
  addressId: string | null;
}

/** Hex characters of the md5 kept in an address id (96 bits: no collision in 10^9 addresses). */
export const ADDRESS_ID_LENGTH = 24;

const UNIT_HASH = new RegExp(UNIT_HASH_PATTERN, 'g');

/** Accents off, periods and apostrophes deleted, other non-ASCII -> space, upper case. */
function prepare(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[.'’]/g, '')
    .replace(/[\u0080-\uffff]/g, ' ')
    .toUpperCase();
}

function collapse(s: string): string | null {
  const out = s.replace(/ +/g, ' ').trim();
  return out === '' ? null : out;
}

export function standardizeLine(line: string | null | undefined): string | null {
  if (line == null) return null;
  const cleaned = prepare(line)
    .replace(/#/g, ' # ')
    .replace(/[^A-Z0-9#/ -]/g, ' ')
    .replace(UNIT_HASH, '$1$2$3$4');
  const tokens = cleaned.split(' ').filter((t) => t.replace(/^[-/]+|[-/]+$/g, '') !== '');
  return tokens.length === 0 ? null : tokens.map((t) => LINE_TOKEN_MAP[t] ?? t).join(' ');
}

export function standardizeCity(city: string | null | undefined): string | null {
  if (city == null) return null;
  return collapse(prepare(city).replace(/[^A-Z0-9 -]/g, ' '));
}

export function standardizeState(state: string | null | undefined): string | null {
  if (state == null) return null;
  const cleaned = collapse(prepare(state).replace(/[^A-Z ]/g, ' '));
  return cleaned === null ? null : (STATE_CODES[cleaned] ?? cleaned);
}

/** ZIP5 from ZIP, ZIP+4 (with or without the dash) or a ZIP that lost its leading zero. */
export function standardizeZip5(zip: string | number | null | undefined): string | null {
  if (zip == null) return null;
  const digits = String(zip)
    .split('-')[0]!
    .replace(/[^0-9]/g, '');
  if (digits.length === 5 || digits.length === 9) return digits.slice(0, 5);
  if (digits.length === 4) return `0${digits}`;
  return null;
}

/** The id of a standardized address: md5 of `line|city|state|zip5` (nulls as ''), first 24 hex. */
export function addressId(
  line: string | null,
  city: string | null,
  state: string | null,
  zip5: string | null,
): string | null {
  if (line === null) return null;
  const key = `${line}|${city ?? ''}|${state ?? ''}|${zip5 ?? ''}`;
  return createHash('md5').update(key, 'utf8').digest('hex').slice(0, ADDRESS_ID_LENGTH);
}

export function standardizeAddress(raw: RawAddress): StandardAddress {
  const line = standardizeLine(raw.line);
  const city = standardizeCity(raw.city);
  const state = standardizeState(raw.state);
  const zip5 = standardizeZip5(raw.zip);
  return { line, city, state, zip5, addressId: addressId(line, city, state, zip5) };
}
