// The sandbox a pipeline's own SQL runs in: DuckDB may read the files of its declared inputs and
// write into the task's output folder, nothing else. Views over the inputs are created first,
// then the allowed paths are set, external access turned off and the configuration locked (DESIGN
// 6: in DuckDB 1.5.6 this refuses other files, COPY elsewhere, ATTACH, INSTALL and re-enabling).
import fs from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlFileList, sqlIdent, sqlString } from '../duckdb.js';
import { sandboxViolation } from '../errors.js';

export interface SandboxSpec {
  /** A view per input over its local Parquet files (the staged partition). */
  views?: Record<string, string[]>;
  /**
   * An empty table per name with the columns of these Parquet files: what binding and plan
   * checks need, without reading data (and without any file access once locked).
   */
  emptyTables?: Record<string, string[]>;
  /** The one folder the SQL may write to (the task's output folder; created if missing). */
  writeDir?: string;
  /** The logical date, read by the query as `getvariable('run_date')` (a DATE). */
  runDate?: string;
}

/** Input Parquet files as one relation (columns matched by name; `dt=` folders are not columns). */
export function parquetRelation(files: string[]): string {
  return `read_parquet(${sqlFileList(files)}, union_by_name = true, hive_partitioning = false)`;
}

/**
 * Locks `conn` into the sandbox. Nothing set up here can be undone by the SQL that runs after:
 * `lock_configuration` refuses every later SET, including turning external access back on.
 */
export async function enterSandbox(conn: DuckDBConnection, spec: SandboxSpec): Promise<void> {
  const files: string[] = [];
  for (const [name, inputFiles] of Object.entries(spec.views ?? {})) {
    await conn.run(
      `CREATE OR REPLACE TEMP VIEW ${sqlIdent(name)} AS SELECT * FROM ${parquetRelation(inputFiles)}`,
    );
    files.push(...inputFiles);
  }
  for (const [name, schemaFiles] of Object.entries(spec.emptyTables ?? {})) {
    await conn.run(
      `CREATE OR REPLACE TEMP TABLE ${sqlIdent(name)} AS SELECT * FROM ${parquetRelation(schemaFiles)} LIMIT 0`,
    );
  }
  if (spec.runDate !== undefined) await conn.run(`SET VARIABLE run_date = DATE ${sqlString(spec.runDate)}`);
  // Plan checks read the unoptimized logical plan (lib/sql-pipelines/bind.ts); set before the lock.
  await conn.run(`SET explain_output = 'all'`);
  // COPY checks the output folder itself as a path, and the files in it under the directory.
  if (spec.writeDir) await fs.mkdir(spec.writeDir, { recursive: true });
  const writeDir = spec.writeDir?.replace(/\/+$/, '');
  await conn.run(
    `SET allowed_paths = [${[...files, ...(writeDir ? [writeDir] : [])].map(sqlString).join(', ')}]`,
  );
  await conn.run(`SET allowed_directories = [${writeDir ? sqlString(`${writeDir}/`) : ''}]`);
  await conn.run('SET enable_external_access = false');
  await conn.run('SET lock_configuration = true');
}

/** DuckDB's words for an access the sandbox refused. */
const REFUSED = [
  /Permission Error: ([^\n]*)/,
  /(Cannot change configuration option [^\n]*)/,
  /(Loading external extensions is disabled[^\n]*)/,
];

/** The refused access named in a DuckDB error, or undefined when the error is something else. */
export function sandboxRefusal(err: unknown): string | undefined {
  const message = err instanceof Error ? err.message : String(err);
  for (const pattern of REFUSED) {
    const m = pattern.exec(message);
    if (m) return m[1]!.replace(/ - file system operations are disabled by configuration$/, '');
  }
  return undefined;
}

/**
 * Runs `work`; a sandbox refusal becomes one non-retryable SandboxViolation naming the pipeline
 * file and what was refused (no retry can make it allowed).
 */
export async function refusalsAsViolations<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const refused = sandboxRefusal(err);
    if (refused === undefined) throw err;
    throw sandboxViolation(
      `${file}: the query may read only its declared inputs and write nothing; refused: ${refused}`,
    );
  }
}
