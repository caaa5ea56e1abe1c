// The SQL Daybreak wraps around a pipeline's own query: its result written as size-capped Parquet
// files into the task's output folder, and row counts from Parquet footers.
import { sqlString } from '../../lib/duckdb.js';

/**
 * The query's result as `<outDir>/part-<i>.parquet` files of about `targetFileMB`. The query sits
 * on lines of its own, so a trailing `-- comment` cannot swallow the wrapper. `rowGroupBytes` caps
 * the row group each writing thread buffers (a shuffle's reduce under a tight memory limit:
 * activities/common/shuffle.ts reduceRowGroupBytes).
 */
export function writeResultSql(opts: {
  sql: string;
  outDir: string;
  targetFileMB: number;
  rowGroupBytes?: number;
}): string {
  const rowGroups = opts.rowGroupBytes ? `, ROW_GROUP_SIZE_BYTES ${opts.rowGroupBytes}` : '';
  return `COPY (\n${opts.sql}\n) TO ${sqlString(opts.outDir)} (FORMAT parquet, FILE_SIZE_BYTES '${opts.targetFileMB}MB', FILENAME_PATTERN 'part-{i}'${rowGroups})`;
}
