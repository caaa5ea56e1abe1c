// The SQL of session-ranking. Map: per input file, keep expert sessions (semi-join first: ~5x
// faster than joining everything), sum seconds per (bucket, year, month, id). Reduce: per id
// bucket, total per (month, id) and keep the top N per month. Merge: top N over the buckets'
// top N, which is exact because every id lives in exactly one bucket.
import { sqlFileList, sqlString } from '../../lib/duckdb.js';

/** Stable across DuckDB versions and processes, unlike hash(): bucket = md5_number(id) % B. */
export function bucketExpr(column: string, buckets: number): string {
  return `(md5_number(CAST(${column} AS VARCHAR)) % ${buckets})::INTEGER`;
}

export function createExpertsSql(profileFiles: string[]): string {
  return `CREATE OR REPLACE TEMP TABLE experts AS
    SELECT DISTINCT id FROM read_parquet(${sqlFileList(profileFiles)}) WHERE level = 'expert'`;
}

/** One input file -> a partial aggregate Parquet file; returns a single row of counts. */
export function mapFileSql(opts: { file: string; out: string; buckets: number; year?: number }): string {
  const yearFilter = opts.year === undefined ? '' : `AND year(session_begin) = ${opts.year}`;
  return `
    CREATE OR REPLACE TEMP TABLE sessions AS
      SELECT id, session_begin, date_diff('second', session_begin, session_end) AS secs
      FROM read_parquet(${sqlString(opts.file)});
    COPY (
      SELECT ${bucketExpr('s.id', opts.buckets)} AS bucket, year(s.session_begin) AS year,
             month(s.session_begin) AS month, s.id, sum(s.secs) AS secs
      FROM sessions s SEMI JOIN experts e ON s.id = e.id
      WHERE s.secs IS NOT NULL AND s.secs >= 0 ${yearFilter}
      GROUP BY ALL
      ORDER BY bucket
    ) TO ${sqlString(opts.out)} (FORMAT parquet, COMPRESSION zstd);`;
}

export const mapCountsSql = `
  SELECT count(*) AS input_rows,
         count(*) FILTER (WHERE secs IS NULL OR secs < 0) AS rejected_rows,
         max(year(session_begin)) FILTER (WHERE secs IS NOT NULL AND secs >= 0) AS max_year
  FROM sessions`;

/** Totals of one bucket, top N per month, written to `out`. */
export function reduceBucketSql(opts: {
  partials: string[];
  bucket: number;
  year: number;
  top: number;
  out: string;
}): string {
  return `COPY (
      SELECT month, id, total_seconds FROM (
        SELECT month, id, sum(secs) AS total_seconds
        FROM read_parquet(${sqlFileList(opts.partials)})
        WHERE bucket = ${opts.bucket} AND year = ${opts.year}
        GROUP BY month, id
      )
      QUALIFY row_number() OVER (PARTITION BY month ORDER BY total_seconds DESC, id ASC) <= ${opts.top}
    ) TO ${sqlString(opts.out)} (FORMAT parquet)`;
}

/** The final ranking over every bucket's top N. */
export function mergeSql(opts: { bucketFiles: string[]; year: number; top: number }): string {
  return `SELECT ${opts.year}::INTEGER AS year, month::INTEGER AS month,
           row_number() OVER (PARTITION BY month ORDER BY total_seconds DESC, id ASC)::INTEGER AS rank,
           CAST(id AS VARCHAR) AS user_id, total_seconds::BIGINT AS total_seconds
    FROM read_parquet(${sqlFileList(opts.bucketFiles)})
    QUALIFY rank <= ${opts.top}
    ORDER BY month, rank`;
}
