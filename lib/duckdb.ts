// A DuckDB session for one task: in-process, memory and threads from config, and a private temp
// folder (spill files of a killed run would otherwise pile up) that is removed afterwards.
import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { scratchName } from './scratch.js';

export interface DuckDBSessionOptions {
  /** e.g. "4GB"; omitted means DuckDB's default (80% of RAM). */
  memoryLimit?: string;
  threads?: number;
  /** Parent folder for this session's spill files. */
  scratchDir: string;
  /** Report query progress (0-100) so activities can heartbeat it. */
  progress?: boolean;
}

/** Quotes a string as a SQL literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Quotes an identifier (column or table name). */
export function sqlIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL list literal of file paths, for read_parquet([...]). */
export function sqlFileList(files: string[]): string {
  return `[${files.map(sqlString).join(', ')}]`;
}

/** Runs `fn` with a fresh in-memory DuckDB connection; always closes it and removes its temp folder. */
export async function withDuckDB<T>(
  opts: DuckDBSessionOptions,
  fn: (conn: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const tempDir = path.join(opts.scratchDir, scratchName('duckdb'));
  await fs.mkdir(tempDir, { recursive: true });
  const settings: Record<string, string> = { temp_directory: tempDir, preserve_insertion_order: 'false' };
  if (opts.memoryLimit) settings.memory_limit = opts.memoryLimit;
  if (opts.threads) settings.threads = String(opts.threads);
  const instance = await DuckDBInstance.create(':memory:', settings);
  const conn = await instance.connect();
  try {
    if (opts.progress) {
      await conn.run('SET enable_progress_bar = true');
      await conn.run('SET enable_progress_bar_print = false');
    }
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
    await fs.rm(tempDir, { recursive: true, force: true });
  }
}

/** Rows of each Parquet file by path, from the footers (nothing is scanned). */
export async function parquetRowsPerFile(
  conn: DuckDBConnection,
  files: string[],
): Promise<Map<string, number>> {
  const rows = new Map<string, number>();
  if (files.length === 0) return rows;
  const reader = await conn.runAndReadAll(
    `SELECT file_name, num_rows FROM parquet_file_metadata(${sqlFileList(files)})`,
  );
  for (const r of reader.getRowObjects()) rows.set(String(r.file_name), Number(r.num_rows));
  return rows;
}

/** Column names and DuckDB types of a Parquet file, in file order. */
export async function parquetColumns(conn: DuckDBConnection, file: string): Promise<Map<string, string>> {
  const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`);
  const cols = new Map<string, string>();
  for (const row of reader.getRowObjects()) cols.set(String(row.column_name), String(row.column_type));
  return cols;
}
