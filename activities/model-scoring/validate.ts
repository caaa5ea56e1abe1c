// Input checks for identity resolution: every record file must have record_id, and the columns
// the comparisons read must have usable types where they exist. Every comparable field is
// optional (a column absent or entirely null is left out of blocking and scoring), but at least
// two must be present. Failures are BadInput (non-retryable) and name the file and the column.
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlFileList } from '../../lib/duckdb.js';
import { badInput } from '../../lib/errors.js';
import { RECORD_FIELDS, type FieldPresence } from '../../lib/identity/fields.js';
import { detectFields, FieldsError } from '../../lib/identity/prepare.js';
import { requireColumns, type TypeFamily } from '../common/schema.js';

const FAMILY: Record<(typeof RECORD_FIELDS)[number]['type'], TypeFamily> = {
  text: 'text',
  any: 'any',
  'date-or-text': 'date-or-text',
};

/**
 * `files[i]` is the local copy of `names[i]` (the URI the user knows). Returns which comparable
 * fields the records have.
 */
export async function checkRecordFiles(
  conn: DuckDBConnection,
  files: string[],
  names: string[],
  dataset: string,
): Promise<FieldPresence> {
  if (files.length === 0) throw badInput(`no customer record Parquet files found at ${dataset}`);
  for (const [i, f] of files.entries()) {
    const columns = await requireColumns(conn, f, names[i]!, { record_id: 'any' });
    const present = Object.fromEntries(
      RECORD_FIELDS.filter((x) => columns.has(x.column)).map((x) => [x.column, FAMILY[x.type]]),
    );
    await requireColumns(conn, f, names[i]!, present);
  }
  const counts = (
    await conn.runAndReadAll(
      `SELECT count(record_id) AS ids, count(*) AS rows_total FROM read_parquet(${sqlFileList(files)}, union_by_name = true)`,
    )
  ).getRowObjects()[0]!;
  if (Number(counts.rows_total) === 0) throw badInput(`customer records at ${dataset} have no rows`);
  if (Number(counts.ids) < Number(counts.rows_total))
    throw badInput(
      `customer records at ${dataset}: ${Number(counts.rows_total) - Number(counts.ids)} rows have a null record_id`,
    );
  let fields: FieldPresence;
  try {
    fields = await detectFields(conn, files);
  } catch (err) {
    if (err instanceof FieldsError) throw badInput(`customer records at ${dataset}: ${err.message}`);
    throw err;
  }
  const dup = (
    await conn.runAndReadAll(
      `SELECT count(*) - count(DISTINCT record_id) AS d FROM read_parquet(${sqlFileList(files)}, union_by_name = true)`,
    )
  ).getRows()[0]![0];
  if (Number(dup) > 0)
    throw badInput(
      `customer records at ${dataset}: ${dup} duplicate record_id values (record_id must be unique)`,
    );
  return fields;
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
