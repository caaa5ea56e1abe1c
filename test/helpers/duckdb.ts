// An in-memory DuckDB for the tests of a file: opened before its tests, closed after them.
import { afterAll, beforeAll } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/** Call at the top level of a test file; `conn` is usable inside its tests. */
export function inMemoryDuckDB(): { readonly conn: DuckDBConnection } {
  let db: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });
  afterAll(() => {
    conn?.closeSync();
    db?.closeSync();
  });
  return {
    get conn() {
      if (!conn) throw new Error('inMemoryDuckDB: used outside the tests of its file');
      return conn;
    },
  };
}
