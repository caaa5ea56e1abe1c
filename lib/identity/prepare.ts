// Step 1 of identity resolution: customer records -> one normalized row per record with its
// blocking keys and, per blocking rule, the shard that owns the key. Comparisons and blocking
// read only this table, so every later step sees the same cleaned values.
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlFileList, sqlString } from '../duckdb.js';
import { installAddressMacros } from '../address/index.js';
import { UNIT_ABBREVIATIONS } from '../address/tables.js';
import { BLOCKING_RULES } from './blocking.js';
import { NICKNAMES } from './nicknames.js';

/** The record columns identity resolution reads (DESIGN 3.0). */
export const RECORD_COLUMNS = [
  'record_id',
  'first_name',
  'last_name',
  'email',
  'phone',
  'dob',
  'address_line',
  'zip',
] as const;

/** Columns that must carry at least one value: a column of only nulls is a broken extract. */
export const NON_NULL_COLUMNS = ['record_id', 'first_name', 'last_name'] as const;

function nicknameMap(): string {
  return `MAP {${Object.entries(NICKNAMES)
    .map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`)
    .join(', ')}}`;
}

export interface PrepareOptions {
  /** Local Parquet files of customer records. */
  files: string[];
  shards: number;
  /** Keys shared by more records than this are not used for blocking (counted). */
  maxBlockSize: number;
  table?: string;
}

/**
 * Creates the `prep` table: an integer row id (rid), normalized fields, blocking keys (k_<rule>)
 * and their shards (s_<rule>).
 */
export async function prepareRecords(
  conn: DuckDBConnection,
  opts: PrepareOptions,
): Promise<{ records: number; cappedKeys: number }> {
  await installAddressMacros(conn);
  const table = opts.table ?? 'prep';
  const keys = BLOCKING_RULES.map((r) => `${r.key} AS k_${r.name}`).join(',\n      ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE prep_raw AS
    WITH src AS (
      SELECT ${RECORD_COLUMNS.map((c) => `CAST(${c} AS VARCHAR) AS ${c}`).join(', ')}
      FROM read_parquet(${sqlFileList(opts.files)}, union_by_name = true)
    ), n AS (
      SELECT record_id,
        nullif(regexp_replace(lower(strip_accents(first_name)), '[^a-z]', '', 'g'), '') AS fn,
        nullif(regexp_replace(lower(strip_accents(last_name)), '[^a-z]', '', 'g'), '') AS ln,
        regexp_replace(lower(trim(email)), '\\+[^@]*@', '@') AS email0,
        regexp_replace(phone, '[^0-9]', '', 'g') AS ph,
        TRY_CAST(dob AS DATE) AS dob,
        std_addr_line(address_line) AS addr,
        std_addr_zip5(zip) AS zip5
      FROM src
    ), c AS (
      SELECT record_id, fn, ln, coalesce(${nicknameMap()}[fn], fn) AS fn_canon,
        CASE WHEN regexp_full_match(email0, '[^@ ]+@[^@ ]+\\.[^@ ]+') THEN email0 END AS email,
        CASE WHEN length(ph) = 10 THEN ph WHEN length(ph) = 11 AND ph[1] = '1' THEN ph[2:] END AS phone,
        dob, addr,
        regexp_replace(addr, ' (${[...UNIT_ABBREVIATIONS, '#'].join('|')})( .*)?$', '') AS street,
        zip5
      FROM n
    )
    SELECT *, split_part(email, '@', 1) AS email_local,
      ${keys}
    FROM c`);
  // Shards are computed once here and stored with the keys, so hash() (fast, but not promised
  // stable across DuckDB versions) is safe: no other process recomputes them.
  // Over-large blocks (a default phone, a shared office email) would explode into quadratic
  // pairs: their keys are dropped (a GROUP BY per rule is far cheaper than window counts).
  for (const r of BLOCKING_RULES) {
    await conn.run(`CREATE OR REPLACE TEMP TABLE big_${r.name} AS
      SELECT k_${r.name} AS k FROM prep_raw WHERE k_${r.name} IS NOT NULL GROUP BY 1 HAVING count(*) > ${opts.maxBlockSize}`);
  }
  const capped = BLOCKING_RULES.map(
    (r) =>
      `CASE WHEN k_${r.name} IN (SELECT k FROM big_${r.name}) THEN NULL ELSE k_${r.name} END AS k_${r.name}`,
  ).join(',\n      ');
  const shardCols = BLOCKING_RULES.map(
    (r) => `(hash(${sqlString(r.name)}, k_${r.name}) % ${opts.shards})::INTEGER AS s_${r.name}`,
  ).join(',\n      ');
  await conn.run(`CREATE OR REPLACE TEMP TABLE prep_capped AS
    SELECT * EXCLUDE (${BLOCKING_RULES.map((r) => `k_${r.name}`).join(', ')}), ${capped} FROM prep_raw`);
  // rid: an integer row id, so blocking joins and pair deduplication work on integers instead of
  // strings. Any numbering will do (pairs are unordered until they are written), and the table's
  // rowid costs nothing where row_number() OVER (ORDER BY record_id) sorts 1M strings.
  await conn.run(`CREATE OR REPLACE TABLE ${table} AS
    SELECT rowid::INTEGER AS rid, *, ${shardCols} FROM prep_capped`);
  const counted = (
    await conn.runAndReadAll(
      `SELECT (SELECT count(*) FROM ${table}) AS records, ${BLOCKING_RULES.map((r) => `(SELECT count(*) FROM prep_raw WHERE k_${r.name} IN (SELECT k FROM big_${r.name}))`).join(' + ')} AS capped`,
    )
  ).getRowObjects()[0]!;
  await conn.run('DROP TABLE prep_raw');
  await conn.run('DROP TABLE prep_capped');
  for (const r of BLOCKING_RULES) await conn.run(`DROP TABLE big_${r.name}`);
  return { records: Number(counted.records), cappedKeys: Number(counted.capped) };
}
