// Input checks for identity resolution: every record file must have the columns the comparisons
// read, with usable types, and no such column may be entirely null across the dataset (a broken
// extract would otherwise silently score every pair as "missing"). Failures are BadInput
// (non-retryable) and name the file and the column.
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlFileList } from '../../lib/duckdb.js';
import { badInput } from '../../lib/errors.js';
import { requireColumns } from '../common/schema.js';
import { RECORD_COLUMNS } from '../../lib/identity/prepare.js';

const RECORD_TYPES = {
  record_id: 'any',
  first_name: 'text',
  last_name: 'text',
  email: 'text',
  phone: 'any',
  dob: 'date',
  address_line: 'text',
  zip: 'any',
} as const;

/** `files[i]` is the local copy of `names[i]` (the URI the user knows). */
export async function checkRecordFiles(
  conn: DuckDBConnection,
  files: string[],
  names: string[],
  dataset: string,
): Promise<void> {
  if (files.length === 0) throw badInput(`no customer record Parquet files found at ${dataset}`);
  for (const [i, f] of files.entries()) await requireColumns(conn, f, names[i]!, RECORD_TYPES);
  const counts = (
    await conn.runAndReadAll(
      `SELECT ${RECORD_COLUMNS.map((c) => `count(${c}) AS ${c}`).join(', ')}, count(*) AS rows_total FROM read_parquet(${sqlFileList(files)}, union_by_name = true)`,
    )
  ).getRowObjects()[0]!;
  if (Number(counts.rows_total) === 0) throw badInput(`customer records at ${dataset} have no rows`);
  const empty = RECORD_COLUMNS.filter((c) => Number(counts[c]) === 0);
  if (empty.length)
    throw badInput(
      `customer records at ${dataset}: column ${empty.map((c) => `"${c}"`).join(', ')} has only nulls`,
    );
  const dup = (
    await conn.runAndReadAll(
      `SELECT count(*) - count(DISTINCT record_id) AS d FROM read_parquet(${sqlFileList(files)}, union_by_name = true)`,
    )
  ).getRows()[0]![0];
  if (Number(dup) > 0)
    throw badInput(
      `customer records at ${dataset}: ${dup} duplicate record_id values (record_id must be unique)`,
    );
}

export async function loadLabels(
  conn: DuckDBConnection,
  files: string[],
  names: string[],
  dataset: string,
  table = 'labels',
): Promise<void> {
  if (files.length === 0) throw badInput(`no label Parquet files found at ${dataset}`);
  for (const [i, f] of files.entries())
    await requireColumns(conn, f, names[i]!, { record_id: 'any', person_id: 'any' });
  await conn.run(`CREATE OR REPLACE TABLE ${table} AS
    SELECT CAST(record_id AS VARCHAR) AS record_id, CAST(person_id AS VARCHAR) AS person_id
    FROM read_parquet(${sqlFileList(files)}, union_by_name = true) WHERE record_id IS NOT NULL`);
  const n = (await conn.runAndReadAll(`SELECT count(person_id) FROM ${table}`)).getRows()[0]![0];
  if (Number(n) === 0) throw badInput(`labels at ${dataset}: column "person_id" has only nulls`);
}
