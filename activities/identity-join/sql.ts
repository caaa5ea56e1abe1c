// The SQL of identity-join. DS2 is projected to (visitor_id, lvr_id, sha2) with the PII hashed on
// the small side before anything else sees it. Join: the distinct hashed DS2 (spilling past
// memory_limit), DS1 of the run date probing it, written straight to size-capped Parquet files.
// With one bucket the join hashes the raw DS2 itself (no hashed copy written and read back); with
// the shuffle it reads one bucket's partitions of both sides. Runs planned before the shuffle
// hashed DS2 into bucket files and joined each bucket against all of DS1, filtered by bucket.
import { keyBucketSql, type BucketHash } from '../../lib/buckets.js';
import { sqlFileList, sqlIdent, sqlString } from '../../lib/duckdb.js';

/**
 * The visitor_id bucket (lib/buckets.ts; `hash` is the one the run was planned with). A null id
 * goes to the bucket of '' so that every DS1 row is counted in exactly one bucket.
 */
export function bucketExpr(column: string, buckets: number, hash: BucketHash): string {
  return keyBucketSql(column, buckets, hash);
}

/** sha2 = lower-hex SHA-256 of lower(trim(pii)) || '|' || trim(ip), a null part counted as ''. */
export const SHA2_EXPR = `sha256(lower(trim(coalesce(CAST(pii AS VARCHAR), ''))) || '|' || trim(coalesce(CAST(ip AS VARCHAR), '')))`;

/** Input Parquet files as one relation (columns matched by name; `dt=` folders are not columns). */
function parquetSource(files: string[]): string {
  return `read_parquet(${sqlFileList(files)}, union_by_name = true, hive_partitioning = false)`;
}

/** DS2 projected and hashed: `(visitor_id, lvr_id, sha2)` rows, raw pii and ip gone. */
export function hashedDs2(files: string[]): string {
  return `SELECT CAST(visitor_id AS VARCHAR) AS visitor_id, CAST(lvr_id AS VARCHAR) AS lvr_id, ${SHA2_EXPR} AS sha2
      FROM ${parquetSource(files)}
      WHERE visitor_id IS NOT NULL`;
}

/** DS2 files -> `<outDir>/bucket=<b>/g<group>-<i>.parquet`, raw pii and ip gone. */
export function hashDs2Sql(opts: {
  files: string[];
  buckets: number;
  bucketHash: BucketHash;
  group: number;
  outDir: string;
}): string {
  return `COPY (
      SELECT *, ${bucketExpr('visitor_id', opts.buckets, opts.bucketHash)} AS bucket
      FROM (${hashedDs2(opts.files)})
    ) TO ${sqlString(opts.outDir)} (FORMAT parquet, PARTITION_BY (bucket), FILENAME_PATTERN ${sqlString(`g${opts.group}-{i}`)})`;
}

/** DS1 columns to shuffle: all, or the ones asked for plus visitor_id (the key). */
export function ds1ShuffleSql(files: string[], columns: string[] | undefined): string {
  const cols = columns ? [...new Set([...columns, 'visitor_id'])].map((c) => sqlIdent(c)).join(', ') : '*';
  return `SELECT ${cols} FROM ${parquetSource(files)}`;
}

/**
 * Where a join task finds DS2: the temp table `d2` (its bucket's hashed files, see
 * createDs2TableSql), the raw DS2 files, hashed inside the join (one-bucket runs), or its
 * bucket's shuffled partitions of the hashed DS2 (`hashedFiles`, possibly none).
 */
export type Ds2Source = { table: 'd2' } | { rawFiles: string[] } | { hashedFiles: string[] };

const NO_DS2 =
  'SELECT NULL::VARCHAR AS visitor_id, NULL::VARCHAR AS lvr_id, NULL::VARCHAR AS sha2 WHERE false';

function ds2Relation(ds2: Ds2Source): string {
  if ('table' in ds2) return ds2.table;
  if ('rawFiles' in ds2) return `(SELECT DISTINCT * FROM (${hashedDs2(ds2.rawFiles)}))`;
  if (ds2.hashedFiles.length === 0) return `(${NO_DS2})`;
  return `(SELECT DISTINCT visitor_id, lvr_id, sha2 FROM ${parquetSource(ds2.hashedFiles)})`;
}

/** DS2's visitor_ids, duplicates included (an IN list needs no DISTINCT). */
function ds2Visitors(ds2: Ds2Source): string {
  if ('table' in ds2) return `SELECT visitor_id FROM ${ds2.table}`;
  if ('rawFiles' in ds2) {
    return `SELECT CAST(visitor_id AS VARCHAR) FROM ${parquetSource(ds2.rawFiles)} WHERE visitor_id IS NOT NULL`;
  }
  if (ds2.hashedFiles.length === 0) return `SELECT visitor_id FROM (${NO_DS2})`;
  return `SELECT visitor_id FROM ${parquetSource(ds2.hashedFiles)}`;
}

/** Rows of the raw DS2 files that take part in the join (visitor_id not null). */
export function ds2RowsSql(rawFiles: string[]): string {
  return `SELECT count(visitor_id) AS n FROM ${parquetSource(rawFiles)}`;
}

/** The distinct hashed DS2 of one bucket (an empty table when the bucket has no DS2 rows). */
export function createDs2TableSql(files: string[]): string {
  if (files.length === 0) {
    return 'CREATE OR REPLACE TEMP TABLE d2 (visitor_id VARCHAR, lvr_id VARCHAR, sha2 VARCHAR)';
  }
  return `CREATE OR REPLACE TEMP TABLE d2 AS
    SELECT DISTINCT visitor_id, lvr_id, sha2 FROM read_parquet(${sqlFileList(files)}, hive_partitioning = false)`;
}

/** Keeps DS1's rows of one bucket (runs planned before the shuffle); absent: every row. */
export interface BucketFilter {
  bucket: number;
  buckets: number;
  bucketHash: BucketHash;
}

function bucketFilter(filter: BucketFilter | undefined): string {
  return !filter || filter.buckets === 1
    ? ''
    : `WHERE ${bucketExpr('d1.visitor_id', filter.buckets, filter.bucketHash)} = ${filter.bucket}`;
}

/** The join of one task, written to `outDir` as files of ~targetFileMB named part-<i>.parquet. */
export function joinSql(opts: {
  ds1Files: string[];
  columns?: string[];
  ds2: Ds2Source;
  filter?: BucketFilter;
  outDir: string;
  targetFileMB: number;
  /** Caps the output's row groups (the shuffle's joins, sized to the task's memory). */
  rowGroupBytes?: number;
}): string {
  const cols = opts.columns ? opts.columns.map((c) => `d1.${sqlIdent(c)}`).join(', ') : 'd1.*';
  const rowGroups = opts.rowGroupBytes ? `, ROW_GROUP_SIZE_BYTES ${opts.rowGroupBytes}` : '';
  return `COPY (
      SELECT ${cols}, d2.lvr_id, d2.sha2
      FROM ${parquetSource(opts.ds1Files)} d1
      JOIN ${ds2Relation(opts.ds2)} d2 ON CAST(d1.visitor_id AS VARCHAR) = d2.visitor_id
      ${bucketFilter(opts.filter)}
    ) TO ${sqlString(opts.outDir)} (FORMAT parquet, FILE_SIZE_BYTES '${opts.targetFileMB}MB', FILENAME_PATTERN 'part-{i}'${rowGroups})`;
}

/**
 * DS1 rows of the bucket and how many have a match; reads only the visitor_id column. An IN test
 * (a mark join on DS2's visitor_ids as they are) costs ~20% less CPU than a LEFT JOIN on their
 * DISTINCT (BENCHMARKS.md).
 */
export function countsSql(opts: { ds1Files: string[]; ds2: Ds2Source; filter?: BucketFilter }): string {
  return `SELECT count(*) AS rows_in, count(*) FILTER (WHERE matched) AS matched
    FROM (SELECT CAST(d1.visitor_id AS VARCHAR) IN (${ds2Visitors(opts.ds2)}) AS matched
          FROM ${parquetSource(opts.ds1Files)} d1
          ${bucketFilter(opts.filter)})`;
}
