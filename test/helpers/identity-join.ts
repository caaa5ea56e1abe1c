// The independent computation of identity-join for tests: plain TypeScript and node:crypto over
// the raw rows (DuckDB only reads the Parquet files, with no transformation), and helpers to read
// outputs and scan text for the generated PII.
import { createHash } from 'node:crypto';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlFileList } from '../../lib/duckdb.js';

type Row = Record<string, unknown>;

/** Reads Parquet files as JSON-like rows (timestamps as strings), columns in file order. */
export async function readRows(files: string[], columns = '*'): Promise<Row[]> {
  if (files.length === 0) return [];
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT ${columns} FROM read_parquet(${sqlFileList(files)}, union_by_name = true, hive_partitioning = false)`,
    );
    return reader.getRowObjectsJson() as Row[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** SQL TRIM: leading and trailing spaces. */
const trimSpaces = (s: string) => s.replace(/^ +| +$/g, '');

export function expectedSha2(pii: unknown, ip: unknown): string {
  const p = pii === null || pii === undefined ? '' : trimSpaces(String(pii)).toLowerCase();
  const i = ip === null || ip === undefined ? '' : trimSpaces(String(ip));
  return createHash('sha256').update(`${p}|${i}`, 'utf8').digest('hex');
}

/** DS1 rows (chosen columns) x distinct (visitor_id, lvr_id, sha2) of DS2, inner join on visitor_id. */
export function expectedJoin(ds1: Row[], ds2: Row[], columns?: string[]): Row[] {
  const byVisitor = new Map<string, Map<string, { lvr_id: unknown; sha2: string }>>();
  for (const r of ds2) {
    if (r.visitor_id === null) continue;
    const sha2 = expectedSha2(r.pii, r.ip);
    const key = `${String(r.lvr_id)}\u0000${sha2}`;
    const m = byVisitor.get(String(r.visitor_id)) ?? new Map();
    m.set(key, { lvr_id: r.lvr_id, sha2 });
    byVisitor.set(String(r.visitor_id), m);
  }
  const out: Row[] = [];
  for (const r of ds1) {
    if (r.visitor_id === null) continue;
    const matches = byVisitor.get(String(r.visitor_id));
    if (!matches) continue;
    const kept = columns ? Object.fromEntries(columns.map((c) => [c, r[c]])) : r;
    for (const m of matches.values()) out.push({ ...kept, lvr_id: m.lvr_id, sha2: m.sha2 });
  }
  return out;
}

/** Rows as sorted canonical strings, for multiset equality. */
export function canonical(rows: Row[]): string[] {
  return rows.map((r) => JSON.stringify(r)).sort();
}

/** Every PII and IP value of the DS2 rows (raw and normalised, lower case). */
export function piiNeedles(ds2: Row[]): Set<string> {
  const needles = new Set<string>();
  for (const r of ds2) {
    for (const v of [r.pii, r.ip]) {
      if (v === null || v === undefined) continue;
      needles.add(trimSpaces(String(v)).toLowerCase());
    }
  }
  return needles;
}

const CANDIDATES = /[\w.+-]+@[\w.-]+|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/g;

/** Generated PII values or IPs found in `text` (email-like and IP-like tokens checked against the set). */
export function findPii(text: string, needles: Set<string>): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(CANDIDATES)) {
    const token = m[0].toLowerCase();
    if (needles.has(token)) found.add(token);
  }
  return [...found];
}

/**
 * An order-free checksum of rows: the sum, modulo 2^64, of the first 8 bytes of each canonical
 * row's SHA-256 (a multiset hash: equal for equal rows in any order, duplicates counted).
 */
export function orderFreeChecksum(rows: Row[]): string {
  let sum = 0n;
  for (const r of rows) {
    sum += createHash('sha256').update(JSON.stringify(r)).digest().readBigUInt64BE(0);
  }
  return BigInt.asUintN(64, sum).toString(16).padStart(16, '0');
}
