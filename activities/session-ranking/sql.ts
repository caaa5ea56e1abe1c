// The SQL of session-ranking.
//
// experts: distinct expert ids of the profile, each with its id bucket (computed once per expert,
//   not once per session), as a subquery of each map query.
// map: per batch of activity files, one pass: expert sessions only (a join with the distinct
//   expert ids, a semi-join in effect that also brings each id's bucket; filtering to experts
//   first is ~5x faster than joining everything), valid durations only, written unaggregated and
//   partitioned by bucket. The map derives the expert ids from the profile inside its own query:
//   seeing the `level = 'expert'` filter on the build side, DuckDB pushes a Bloom filter of the
//   ids into the activity scan, so only ~12% of the rows reach the join (from a precomputed
//   experts file it does not, and the map took 15-20% longer; BENCHMARKS.md).
//   With ~1 session per user and month a map-side GROUP BY barely shrinks the data and costs a
//   second hash aggregation, so the only aggregation is the reduce's. A second, cheap scan of the
//   two timestamp columns counts rows, rejected rows and (runs without a year) the latest valid year.
// reduce: per id bucket, total per (month, id) and its top N per month (min_by beats
//   QUALIFY row_number() several times over on millions of groups).
// merge: top N over the buckets' top N, exact because every id lives in exactly one bucket.
// single task (a small input, no shards asked for): map, reduce and merge as one query over all
//   files, into a temporary table the merge reads: no intermediate files, one DuckDB task.
//
// Durations are exact: epoch microseconds of end minus begin, so 0.9 s -> 2.0 s is 1.1 s (not the
// 2 second boundaries date_diff counts) and a 0.2 s negative session is rejected.
import { bucketSql } from '../../lib/buckets.js';
import { sqlFileList, sqlString } from '../../lib/duckdb.js';
import type { ProfileExperts } from './types.js';

/** Bucket of an id: md5 of its text, modulo B (lib/buckets.ts). */
export function bucketExpr(column: string, buckets: number): string {
  return bucketSql(`CAST(${column} AS VARCHAR)`, buckets, 'md5-u64');
}

/** Exact session duration in microseconds; NULL when either end is NULL. */
const DURATION_US = 'epoch_us(session_end) - epoch_us(session_begin)';

/** Distinct expert ids of the profile with their bucket: `(id, bucket)`. */
export function expertIdsSql(opts: ProfileExperts): string {
  return `SELECT id, ${bucketExpr('id', opts.buckets)} AS bucket
      FROM (SELECT DISTINCT id FROM read_parquet(${sqlFileList(opts.profileFiles)})
            WHERE level = 'expert' AND id IS NOT NULL)`;
}

/**
 * The expert ids written to a file once per run. Only runs started before the maps read the
 * profile themselves use it (workflow patch `session-ranking-maps-read-profile`).
 */
export function expertsSql(opts: ProfileExperts & { out: string }): string {
  return `COPY (${expertIdsSql(opts)}) TO ${sqlString(opts.out)} (FORMAT parquet, COMPRESSION uncompressed)`;
}

/** Where a map finds the expert ids: the profile files, or the experts file of an older run. */
export type ExpertsSource = ProfileExperts | { file: string };

/**
 * A batch of activity files -> their expert sessions `(bucket, [year,] month, id, us)`: either one
 * file `out` (few buckets: each reducer reads it and skips other buckets' rows, cheaper than a
 * partitioned write) or `out/bucket=<b>/` folders (many buckets: a reducer reads only its own).
 * `year` (when the run has one) drops other years early, and then the year column is not written
 * (computing and writing it was ~7% of the map's time). Parquet V2 without dictionaries: the ids
 * and durations barely repeat, so dictionaries only cost time; delta encodings keep the files a
 * quarter smaller than V1 (per 2.9 M expert sessions: 24 MB written in 0.05 s against 32 MB in
 * 0.08 s; reduce time the same).
 */
export function mapFilesSql(opts: {
  files: string[];
  experts: ExpertsSource;
  out: string;
  partitioned: boolean;
  year?: number;
}): string {
  const yearFilter = opts.year === undefined ? '' : `AND year(s.session_begin) = ${opts.year}`;
  const layout = opts.partitioned
    ? `PARTITION_BY (bucket), FILENAME_PATTERN 'part', OVERWRITE_OR_IGNORE`
    : 'ROW_GROUP_SIZE 122880';
  const yearColumn = opts.year === undefined ? 'year(s.session_begin)::SMALLINT AS year, ' : '';
  const experts =
    'file' in opts.experts
      ? `read_parquet(${sqlString(opts.experts.file)})`
      : `(${expertIdsSql(opts.experts)})`;
  return `COPY (
      SELECT e.bucket, ${yearColumn}month(s.session_begin)::TINYINT AS month, s.id, ${DURATION_US} AS us
      FROM read_parquet(${sqlFileList(opts.files)}) s
      JOIN ${experts} e ON s.id = e.id
      WHERE s.session_end >= s.session_begin ${yearFilter}
    ) TO ${sqlString(opts.out)} (FORMAT parquet, PARQUET_VERSION V2, COMPRESSION uncompressed,
        DICTIONARY_SIZE_LIMIT 1, ${layout})`;
}

/**
 * Rows, rejected rows (NULL or negative duration) and, when the run has no year (`latestYear`),
 * the latest year of a valid session.
 */
export function fileCountsSql(files: string[], opts: { latestYear: boolean }): string {
  const maxYear = opts.latestYear
    ? 'year(max(session_begin) FILTER (WHERE session_end >= session_begin))'
    : 'NULL::BIGINT';
  return `SELECT count(*) AS input_rows,
         count(*) - count(*) FILTER (WHERE session_end >= session_begin) AS rejected_rows,
         ${maxYear} AS max_year
  FROM read_parquet(${sqlFileList(files)})`;
}

/** Totals of one bucket, top N per month: `(month, id, total_us)`, written to `out`. */
export function reduceBucketSql(opts: {
  partials: string[];
  /** Set when the partials hold every bucket (single-file layout): keep only this one. */
  bucket?: number;
  /** The run's year; the partials carry a year column only when the map did not filter by year. */
  year: number;
  partialsHaveYear: boolean;
  top: number;
  out: string;
}): string {
  const filters = [
    ...(opts.partialsHaveYear ? [`year = ${opts.year}`] : []),
    ...(opts.bucket === undefined ? [] : [`bucket = ${opts.bucket}`]),
  ];
  return `COPY (
      SELECT month, top.id AS id, top.total_us AS total_us FROM (
        SELECT month, unnest(min_by({'id': id, 'total_us': total_us}, (-total_us, id), ${opts.top})) AS top
        FROM (
          SELECT month, id, sum(us)::BIGINT AS total_us
          FROM read_parquet(${sqlFileList(opts.partials)}, hive_partitioning = false)
          ${filters.length ? `WHERE ${filters.join(' AND ')}` : ''}
          GROUP BY month, id
        )
        GROUP BY month
      )
    ) TO ${sqlString(opts.out)} (FORMAT parquet)`;
}

/** Distinct expert ids of the profile: `(id)` (the single task's join needs no bucket). */
function expertIdSetSql(profileFiles: string[]): string {
  return `SELECT DISTINCT id FROM read_parquet(${sqlFileList(profileFiles)})
          WHERE level = 'expert' AND id IS NOT NULL`;
}

/**
 * The single task's totals: the top N per month `(month, id, total_us)` of the year's valid expert
 * sessions of every file, as the maps, reduces and merge compute them together, into table `table`.
 */
export function rankAllSql(opts: {
  files: string[];
  profileFiles: string[];
  year: number;
  top: number;
  table: string;
}): string {
  return `CREATE TEMP TABLE ${opts.table} AS
    SELECT month, top.id AS id, top.total_us AS total_us FROM (
      SELECT month, unnest(min_by({'id': id, 'total_us': total_us}, (-total_us, id), ${opts.top})) AS top
      FROM (
        SELECT month(s.session_begin)::TINYINT AS month, s.id, sum(${DURATION_US})::BIGINT AS total_us
        FROM read_parquet(${sqlFileList(opts.files)}) s
        JOIN (${expertIdSetSql(opts.profileFiles)}) e ON s.id = e.id
        WHERE s.session_end >= s.session_begin AND year(s.session_begin) = ${opts.year}
        GROUP BY ALL
      )
      GROUP BY month
    )`;
}

/**
 * The final ranking `(year, month, rank, user_id, total_seconds)` over every bucket's top N (their
 * files, or the single task's table).
 */
export function mergeSql(
  opts: { bucketFiles: string[]; year: number; top: number } | { table: string; year: number; top: number },
): string {
  if ('table' in opts) return rankingSql(opts.table, opts);
  if (opts.bucketFiles.length === 0) {
    return `SELECT NULL::INTEGER AS year, NULL::INTEGER AS month, NULL::INTEGER AS rank,
              NULL::VARCHAR AS user_id, NULL::DOUBLE AS total_seconds WHERE false`;
  }
  return rankingSql(`read_parquet(${sqlFileList(opts.bucketFiles)})`, opts);
}

function rankingSql(source: string, opts: { year: number; top: number }): string {
  return `SELECT ${opts.year}::INTEGER AS year, month::INTEGER AS month,
           row_number() OVER (PARTITION BY month ORDER BY total_us DESC, id ASC)::INTEGER AS rank,
           CAST(id AS VARCHAR) AS user_id, (total_us / 1e6)::DOUBLE AS total_seconds
    FROM ${source}
    QUALIFY rank <= ${opts.top}
    ORDER BY month, rank`;
}
