// Input validation: a Parquet file that cannot be read or lacks a column is bad input, reported
// once, naming the file and the column, instead of retried.
import type { DuckDBConnection } from '@duckdb/node-api';
import { parquetColumns } from '../../lib/duckdb.js';
import { badInput } from '../../lib/errors.js';

/** Type families a column may have; checked on DuckDB's type names. */
export type TypeFamily = 'any' | 'text' | 'timestamp' | 'date' | 'date-or-text' | 'integer' | 'number';

const FAMILY: Record<TypeFamily, RegExp> = {
  any: /^(?!STRUCT|MAP|UNION)/,
  text: /^VARCHAR/,
  timestamp: /^TIMESTAMP/,
  date: /^(DATE|TIMESTAMP)/,
  'date-or-text': /^(DATE|TIMESTAMP|VARCHAR|INTEGER|BIGINT|UINTEGER|UBIGINT)/,
  integer: /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/,
  number:
    /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/,
};

/**
 * Checks one file's columns. `displayName` is what the user knows the file as (its URI, not the
 * local staging path). Returns the file's column types.
 */
export async function requireColumns(
  conn: DuckDBConnection,
  localPath: string,
  displayName: string,
  required: Record<string, TypeFamily>,
): Promise<Map<string, string>> {
  let columns: Map<string, string>;
  try {
    columns = await parquetColumns(conn, localPath);
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw badInput(`cannot read Parquet file ${displayName}: ${reason}`);
  }
  for (const [name, family] of Object.entries(required)) {
    const type = columns.get(name);
    if (type === undefined) {
      throw badInput(`${displayName} has no column "${name}" (columns: ${[...columns.keys()].join(', ')})`);
    }
    if (!FAMILY[family].test(type)) {
      throw badInput(`${displayName}: column "${name}" has type ${type}; expected ${family}`);
    }
  }
  return columns;
}
