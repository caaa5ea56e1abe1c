// Step 1 of identity resolution: customer records -> one normalized row per record with its
// blocking keys and, per blocking rule, the shard that owns the key. Comparisons and blocking
// read only this table, so every later step sees the same cleaned values. A field the dataset
// does not have (no column, or only nulls and blanks) is a typed NULL here: comparisons on it are
// missing for every pair and rules on it are dropped before this step (fields.ts).
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlFileList, sqlString } from '../duckdb.js';
import { installAddressMacros } from '../address/index.js';
import { UNIT_ABBREVIATIONS } from '../address/tables.js';
import { DEFAULT_RULES, keySql, type BlockingRule } from './blocking.js';
import { DERIVED_COLUMNS } from './comparisons.js';
import {
  FIELD_NAMES,
  MIN_FIELDS,
  RECORD_FIELDS,
  STREET_NUMBER_COLUMN,
  type FieldName,
  type FieldPresence,
} from './fields.js';
import { NICKNAMES } from './nicknames.js';
import { installPhoneticMacros } from './phonetic.js';

/** The record columns identity resolution can read (DESIGN 3.0); all but record_id optional. */
export const RECORD_COLUMNS = ['record_id', ...FIELD_NAMES] as const;

/** Normalized columns that term-frequency adjustments use, with the value column they count. */
export const TF_COLUMNS = { tf_fn: 'fn', tf_ln: 'ln', tf_pc: 'pc', tf_city: 'city_n' } as const;

function nicknameMap(): string {
  return `MAP {${Object.entries(NICKNAMES)
    .map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`)
    .join(', ')}}`;
}

export class FieldsError extends Error {
  override name = 'FieldsError';
}

const src = (files: string[]) => `read_parquet(${sqlFileList(files)}, union_by_name = true)`;

/** Column name -> DuckDB type over all files (union by name). */
export async function recordColumnTypes(
  conn: DuckDBConnection,
  files: string[],
): Promise<Map<string, string>> {
  const rows = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${src(files)}`)).getRowObjects();
  return new Map(rows.map((r) => [String(r.column_name), String(r.column_type)]));
}

/**
 * Which comparable fields the records have: a column counts when it exists and holds at least
 * one value that is not null or blank. Throws FieldsError when fewer than MIN_FIELDS are present.
 */
export async function detectFields(conn: DuckDBConnection, files: string[]): Promise<FieldPresence> {
  const types = await recordColumnTypes(conn, files);
  const existing = RECORD_FIELDS.filter((f) => types.has(f.column));
  const counts = existing.length
    ? (
        await conn.runAndReadAll(
          `SELECT ${existing.map((f) => `count(nullif(trim(CAST(${f.column} AS VARCHAR)), '')) AS ${f.name}`).join(', ')} FROM ${src(files)}`,
        )
      ).getRowObjects()[0]!
    : {};
  const present = existing.filter((f) => Number(counts[f.name]) > 0).map((f) => f.name);
  const presence: FieldPresence = {
    present,
    empty: existing.filter((f) => Number(counts[f.name]) === 0).map((f) => f.name),
    absent: RECORD_FIELDS.filter((f) => !types.has(f.column)).map((f) => f.name),
    streetNumber: types.has(STREET_NUMBER_COLUMN) && present.includes('address_line'),
  };
  if (present.length < MIN_FIELDS)
    throw new FieldsError(
      `at least ${MIN_FIELDS} comparable fields are needed besides record_id; found ${present.length ? present.join(', ') : 'none'}` +
        `${presence.empty.length ? ` (only nulls or blanks: ${presence.empty.join(', ')})` : ''}; comparable fields: ${FIELD_NAMES.join(', ')}`,
    );
  return presence;
}

/** DATE from a date-like column: DATE/TIMESTAMP as is, text as Y-M-D, YYYYMMDD or D/M/Y. */
function dobDigitsSql(type: string | undefined): string {
  if (!type) return 'CAST(NULL AS VARCHAR)';
  if (/^(DATE|TIMESTAMP)/.test(type)) return `strftime(CAST(dob AS DATE), '%Y%m%d')`;
  // Text keeps its digits even when they are no valid date (a typo such as 19561340): the
  // string comparisons still see how close two values are.
  const s = `trim(CAST(dob AS VARCHAR))`;
  return `CASE
      WHEN regexp_full_match(${s}, '\\d{8}') THEN ${s}
      WHEN regexp_full_match(${s}, '\\d{4}[-/.]\\d{1,2}[-/.]\\d{1,2}.*') THEN
        split_part(${s}, regexp_extract(${s}, '[-/.]'), 1)
        || lpad(split_part(${s}, regexp_extract(${s}, '[-/.]'), 2), 2, '0')
        || lpad(left(split_part(${s}, regexp_extract(${s}, '[-/.]'), 3), 2), 2, '0')
      WHEN regexp_full_match(${s}, '\\d{1,2}[-/.]\\d{1,2}[-/.]\\d{4}') THEN
        split_part(${s}, regexp_extract(${s}, '[-/.]'), 3)
        || lpad(split_part(${s}, regexp_extract(${s}, '[-/.]'), 2), 2, '0')
        || lpad(split_part(${s}, regexp_extract(${s}, '[-/.]'), 1), 2, '0')
    END`;
}

export interface PrepareOptions {
  /** Local Parquet files of customer records. */
  files: string[];
  shards: number;
  /** Keys shared by more records than this are not used for blocking (counted). */
  maxBlockSize: number;
  /** Blocking rules to key (default: the legacy five); rules on absent fields must be dropped first. */
  rules?: BlockingRule[];
  /** Fields present (default: detected here). */
  fields?: FieldPresence;
  table?: string;
}

export interface PreparedTable {
  records: number;
  cappedKeys: number;
  fields: FieldPresence;
}

/**
 * Creates the `prep` table: an integer row id (rid), normalized fields, term frequencies,
 * blocking keys (k_<rule>) and their shards (s_<rule>).
 */
export async function prepareRecords(conn: DuckDBConnection, opts: PrepareOptions): Promise<PreparedTable> {
  await installAddressMacros(conn);
  await installPhoneticMacros(conn);
  const table = opts.table ?? 'prep';
  const rules = opts.rules ?? DEFAULT_RULES;
  const fields = opts.fields ?? (await detectFields(conn, opts.files));
  const types = await recordColumnTypes(conn, opts.files);
  const has = (f: FieldName) => fields.present.includes(f);
  const col = (f: FieldName) => (has(f) ? `CAST(${f} AS VARCHAR)` : 'CAST(NULL AS VARCHAR)');
  const addressLine = fields.streetNumber
    ? `concat_ws(' ', nullif(trim(CAST(${STREET_NUMBER_COLUMN} AS VARCHAR)), ''), ${col('address_line')})`
    : col('address_line');
  await conn.run(`CREATE OR REPLACE TEMP TABLE prep_raw AS
    WITH src AS (
      SELECT CAST(record_id AS VARCHAR) AS record_id, ${col('first_name')} AS first_name,
        ${col('last_name')} AS last_name, ${col('email')} AS email, ${col('phone')} AS phone,
        ${has('dob') ? dobDigitsSql(types.get('dob')) : 'CAST(NULL AS VARCHAR)'} AS dob_s,
        ${addressLine} AS address_line, ${col('city')} AS city, ${col('state')} AS state, ${col('zip')} AS zip
      FROM ${src(opts.files)}
    ), n AS (
      SELECT record_id,
        nullif(regexp_replace(lower(strip_accents(first_name)), '[^a-z]', '', 'g'), '') AS fn,
        nullif(regexp_replace(lower(strip_accents(last_name)), '[^a-z]', '', 'g'), '') AS ln,
        regexp_replace(lower(trim(email)), '\\+[^@]*@', '@') AS email0,
        regexp_replace(phone, '[^0-9]', '', 'g') AS ph,
        try_strptime(dob_s, '%Y%m%d')::DATE AS dob,
        CASE WHEN regexp_full_match(dob_s, '\\d{8}') THEN dob_s END AS dob_s,
        std_addr_line(address_line) AS addr,
        std_addr_zip5(zip) AS zip5,
        upper(regexp_replace(zip, '[^A-Za-z0-9]', '', 'g')) AS pc0,
        std_addr_city(city) AS city_n,
        std_addr_state(state) AS state_n
      FROM src
    ), c AS (
      SELECT record_id, fn, ln, coalesce(${nicknameMap()}[fn], fn) AS fn_canon,
        CASE WHEN regexp_full_match(email0, '[^@ ]+@[^@ ]+\\.[^@ ]+') THEN email0 END AS email,
        CASE WHEN length(ph) = 10 THEN ph WHEN length(ph) = 11 AND ph[1] = '1' THEN ph[2:] END AS phone,
        dob, dob_s, addr,
        regexp_replace(addr, ' (${[...UNIT_ABBREVIATIONS, '#'].join('|')})( .*)?$', '') AS street,
        zip5,
        -- Any country's postcode: letters and digits only; a US ZIP+4 counts by its ZIP5.
        CASE WHEN regexp_full_match(pc0, '\\d{9}') THEN left(pc0, 5) ELSE nullif(pc0, '') END AS pc,
        city_n, state_n
      FROM n
    )
    SELECT *, split_part(email, '@', 1) AS email_local,
      -- The house number: leading (12 HIGH ST), else trailing (HAUPTSTRASSE 12, Dutch/German).
      coalesce(nullif(regexp_extract(street, '^([0-9]+)', 1), ''), nullif(regexp_extract(street, ' ([0-9]+)[A-Z]?$', 1), '')) AS hn,
      nullif(trim(regexp_replace(regexp_replace(street, '^[0-9]+[A-Z]?( |$)', ''), ' [0-9]+[A-Z]?$', '')), '') AS st,
      ${Object.entries(DERIVED_COLUMNS)
        .map(([name, sql]) => `${sql} AS ${name}`)
        .join(', ')}
    FROM c`);
  // Soundex per distinct name (names repeat: ~30x fewer values than records), joined back.
  await conn.run(`CREATE OR REPLACE TEMP TABLE prep_ph AS
    SELECT p.*, f.ph AS fn_ph, l.ph AS ln_ph FROM prep_raw p
    LEFT JOIN (SELECT v, db_soundex(v) AS ph FROM (SELECT DISTINCT fn_canon AS v FROM prep_raw)) f ON f.v = p.fn_canon
    LEFT JOIN (SELECT v, db_soundex(v) AS ph FROM (SELECT DISTINCT ln AS v FROM prep_raw)) l ON l.v = p.ln`);
  await conn.run('DROP TABLE prep_raw');
  // Term frequencies: the share of records with each value, for the exact levels' adjustment.
  const tf = Object.entries(TF_COLUMNS);
  await conn.run(`CREATE OR REPLACE TEMP TABLE prep_tf AS
    SELECT p.*, ${tf.map(([t]) => `${t}.f AS ${t}`).join(', ')}
    FROM prep_ph p
    ${tf
      .map(
        ([t, v]) =>
          `LEFT JOIN (SELECT ${v} AS v, count(*) / (SELECT count(*) FROM prep_ph)::DOUBLE AS f FROM prep_ph WHERE ${v} IS NOT NULL GROUP BY 1) ${t} ON ${t}.v = p.${v}`,
      )
      .join('\n    ')}`);
  await conn.run('DROP TABLE prep_ph');
  const cappedKeys = await keyRecords(conn, {
    from: 'prep_tf',
    table,
    rules,
    shards: opts.shards,
    maxBlockSize: opts.maxBlockSize,
  });
  await conn.run('DROP TABLE prep_tf');
  const records = Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0]![0]);
  return { records, cappedKeys, fields };
}

/**
 * Creates `table` from the normalized rows of `from` with each rule's key (k_<rule>, NULL where
 * the key's block is larger than maxBlockSize) and its shard (s_<rule>), and an integer row id
 * (rid). Returns how many (record, rule) keys were dropped for their block size.
 */
export async function keyRecords(
  conn: DuckDBConnection,
  opts: { from: string; table: string; rules: BlockingRule[]; shards: number; maxBlockSize: number },
): Promise<number> {
  const { rules } = opts;
  // A key is stored as its 64-bit hash: blocking joins and deduplicates on integers instead of
  // strings (e-mail addresses, names with dates), ~13% off v5's scoring query at 1M records. Two
  // different keys sharing a hash (odds ~3e-8 at a million keys) would only add candidate pairs
  // between their two blocks, scored like any other. Keys are compared only within one run's prep
  // table and its shard files, so hash() need not be stable across DuckDB versions.
  const keys = rules.map((r) => `, ${keySql(r)} AS k_${r.name}`).join('');
  const hashed = rules.length
    ? `REPLACE (${rules.map((r) => `CASE WHEN k_${r.name} IS NOT NULL THEN hash(k_${r.name}) END AS k_${r.name}`).join(', ')})`
    : '';
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE prep_keyed AS SELECT * ${hashed} FROM (SELECT * ${keys} FROM ${opts.from})`,
  );
  // Over-large blocks (a default phone, a shared office email) would explode into quadratic
  // pairs: their keys are dropped (a GROUP BY per rule is far cheaper than window counts).
  for (const r of rules) {
    await conn.run(`CREATE OR REPLACE TEMP TABLE big_${r.name} AS
      SELECT k_${r.name} AS k FROM prep_keyed WHERE k_${r.name} IS NOT NULL GROUP BY 1 HAVING count(*) > ${opts.maxBlockSize}`);
  }
  const capped = rules
    .map(
      (r) =>
        `CASE WHEN k_${r.name} IN (SELECT k FROM big_${r.name}) THEN NULL ELSE k_${r.name} END AS k_${r.name}`,
    )
    .join(',\n      ');
  // Shards are computed once here and stored with the keys, so hash() (fast, but not promised
  // stable across DuckDB versions) is safe: no other process recomputes them.
  const shardCols = rules
    .map((r) => `, (hash(${sqlString(r.name)}, k_${r.name}) % ${opts.shards})::INTEGER AS s_${r.name}`)
    .join('');
  const replaced = rules.length ? `EXCLUDE (${rules.map((r) => `k_${r.name}`).join(', ')}), ${capped}` : '';
  await conn.run(`CREATE OR REPLACE TEMP TABLE prep_capped AS SELECT * ${replaced} FROM prep_keyed`);
  // rid: an integer row id, so blocking joins and pair deduplication work on integers instead of
  // strings: the record's position in record_id order (0-based), so that rid order is record_id
  // order. A pair (l.rid < r.rid) then has l's record_id as its left_id without comparing the
  // strings, and pairs sort by their packed rids into (left_id, right_id) order: the scoring
  // shard writes its matches sorted on one integer instead of two strings (v5 at 1M records: 300
  // -> 190 ms). Ranking the ids alone and joining the ranks back by rowid costs ~0.2 s per 1M
  // records here, where sorting the wide rows by record_id cost 1.4 s. (record_id is unique: the
  // input checks refuse duplicates; were there any, rowid would break the tie.)
  await conn.run(`CREATE OR REPLACE TABLE ${opts.table} AS
    SELECT o.rid, p.*${shardCols} FROM prep_capped p
    JOIN (SELECT rowid AS row, (row_number() OVER (ORDER BY record_id, rowid) - 1)::INTEGER AS rid FROM prep_capped) o
      ON o.row = p.rowid`);
  const cappedSql = rules.length
    ? rules
        .map((r) => `(SELECT count(*) FROM prep_keyed WHERE k_${r.name} IN (SELECT k FROM big_${r.name}))`)
        .join(' + ')
    : '0';
  const n = Number((await conn.runAndReadAll(`SELECT ${cappedSql}`)).getRows()[0]![0]);
  for (const t of ['prep_keyed', 'prep_capped']) await conn.run(`DROP TABLE ${t}`);
  for (const r of rules) await conn.run(`DROP TABLE big_${r.name}`);
  return n;
}

/**
 * A per-record hash to key deterministic samples on (training's random pairs, capped EM sessions,
 * blocking's anchors): the same records give the same sample in every run, whatever their rids.
 */
export function stableRecordHashSql(recordId: string): string {
  return `hash(${recordId})`;
}

/** Re-keys the prep table for other rules (after `models blocking` chose them). */
export async function rekeyRecords(
  conn: DuckDBConnection,
  opts: { table?: string; rules: BlockingRule[]; shards?: number; maxBlockSize: number },
): Promise<number> {
  const table = opts.table ?? 'prep';
  const cols = (await conn.runAndReadAll(`DESCRIBE ${table}`))
    .getRowObjects()
    .map((r) => String(r.column_name));
  const drop = cols.filter((c) => c === 'rid' || /^[ks]_/.test(c));
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE prep_norm AS SELECT * ${drop.length ? `EXCLUDE (${drop.join(', ')})` : ''} FROM ${table}`,
  );
  const n = await keyRecords(conn, {
    from: 'prep_norm',
    table,
    rules: opts.rules,
    shards: opts.shards ?? 1,
    maxBlockSize: opts.maxBlockSize,
  });
  await conn.run('DROP TABLE prep_norm');
  return n;
}
