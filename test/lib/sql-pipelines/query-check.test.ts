// Binding without running: the output schema, one SELECT only, DuckDB's errors mapped to the file's
// lines, `mode: map` refused for plans that are not row-wise on the first input, and checks held
// to the columns the query produces.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bindQuery, mapRefusal, QueryError } from '../../../lib/sql-pipelines/bind.js';
import { PipelineFileError } from '../../../lib/sql-pipelines/errors.js';
import { definitionFromText } from '../../../lib/sql-pipelines/load.js';
import { checkQuery } from '../../../lib/sql-pipelines/query-check.js';
import { enterSandbox } from '../../../lib/sql-pipelines/sandbox.js';
import { tempDir } from '../../helpers/temporal.js';

const EXAMPLE = fs.readFileSync(
  new URL('../../fixtures/sql-pipelines/daily-visits.sql', import.meta.url),
  'utf8',
);
const root = tempDir('bind');
const schemaFiles = {
  events: [path.join(root, 'events.parquet')],
  profiles: [path.join(root, 'profiles.parquet')],
};
let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(
    `COPY (SELECT 'v' || range AS visitor_id, 'L' || (range % 3) AS lvr_id, 'x' AS sha2, range AS revenue FROM range(5)) TO '${schemaFiles.events[0]}'`,
  );
  await setup.run(
    `COPY (SELECT 'L' || range AS lvr_id, 'expert' AS level FROM range(3)) TO '${schemaFiles.profiles[0]}'`,
  );
  setup.closeSync();
  conn = await instance.connect();
  await enterSandbox(conn, { emptyTables: schemaFiles, runDate: '2025-01-02' });
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

describe('bindQuery', () => {
  test('gives the output columns and their types without running anything', async () => {
    expect(
      await bindQuery(
        conn,
        "SELECT lvr_id, count(*) AS visits, getvariable('run_date') AS dt FROM events GROUP BY lvr_id",
      ),
    ).toEqual([
      { name: 'lvr_id', type: 'VARCHAR' },
      { name: 'visits', type: 'BIGINT' },
      { name: 'dt', type: 'DATE' },
    ]);
    expect(await bindQuery(conn, 'WITH e AS (SELECT * FROM events) FROM e SELECT revenue')).toEqual([
      { name: 'revenue', type: 'BIGINT' },
    ]);
  });

  test.each([
    ['two statements', 'SELECT 1; SELECT 2', /one statement; found 2/],
    ['a SET', 'SET threads = 1', /one SELECT .*found a SET/],
    ['an EXPLAIN', 'EXPLAIN SELECT 1', /one SELECT .*found a EXPLAIN/],
    ['a CALL', 'CALL pragma_version()', /one SELECT/],
    ['an unknown table', 'SELECT *\nFROM eventz', /Table with name eventz does not exist/],
    ['an unknown column', 'SELECT\n  visits\nFROM events', /Referenced column "visits" not found/],
    ['a syntax error', 'SELEC 1', /syntax error at or near "SELEC"/],
    [
      'two columns of one name',
      'SELECT lvr_id, lvr_id FROM events',
      /two columns named lvr_id; give one an alias/,
    ],
  ])('refuses %s', async (_what, sql, message) => {
    await expect(bindQuery(conn, sql)).rejects.toThrow(message);
  });

  test("DuckDB's LINE is kept", async () => {
    const err = (await bindQuery(conn, 'SELECT\n  visits\nFROM events').catch(
      (e: unknown) => e,
    )) as QueryError;
    expect(err.line).toBe(2);
  });
});

describe('mapRefusal', () => {
  test.each([
    'SELECT * FROM events',
    "SELECT visitor_id, revenue * 2 AS r, getvariable('run_date') AS dt FROM events WHERE revenue > 1",
    'SELECT e.visitor_id, p.level FROM events e JOIN profiles p USING (lvr_id)',
    'SELECT e.visitor_id, p.level FROM events e LEFT JOIN profiles p USING (lvr_id)',
    'SELECT p.level, e.visitor_id FROM profiles p RIGHT JOIN events e USING (lvr_id)',
    'SELECT * FROM events WHERE lvr_id IN (SELECT lvr_id FROM profiles GROUP BY lvr_id)',
    'SELECT * FROM events e WHERE NOT EXISTS (SELECT 1 FROM profiles p WHERE p.lvr_id = e.lvr_id)',
    'SELECT * FROM events WHERE revenue > (SELECT count(*) FROM profiles)',
    'WITH e AS (SELECT * FROM events) SELECT * FROM e',
    'SELECT visitor_id, unnest([1, 2]) AS n FROM events',
  ])('row-wise on the first input: %s', async (sql) => {
    expect(await mapRefusal(conn, sql, 'events')).toBeUndefined();
  });

  test.each([
    ['aggregates', 'SELECT lvr_id, count(*) FROM events GROUP BY lvr_id'],
    ['aggregates', 'SELECT count(*) FROM events'],
    ['uses a window function', 'SELECT *, row_number() OVER (PARTITION BY lvr_id) FROM events'],
    ['uses a window function', 'SELECT * FROM events QUALIFY row_number() OVER (PARTITION BY lvr_id) = 1'],
    ['sorts', 'SELECT * FROM events ORDER BY revenue'],
    ['limits', 'SELECT * FROM events LIMIT 10'],
    ['sorts', 'SELECT * FROM events ORDER BY revenue LIMIT 3'],
    ['de-duplicates', 'SELECT DISTINCT lvr_id FROM events'],
    ['de-duplicates', 'SELECT DISTINCT ON (lvr_id) * FROM events'],
    ['samples', 'SELECT * FROM events USING SAMPLE 10'],
    ['UNION', 'SELECT lvr_id FROM events UNION ALL SELECT lvr_id FROM profiles'],
    ['EXCEPT', 'SELECT lvr_id FROM events EXCEPT SELECT lvr_id FROM profiles'],
    ['LEFT join', 'SELECT * FROM profiles p LEFT JOIN events e USING (lvr_id)'],
    ['FULL join', 'SELECT p.level, e.revenue FROM profiles p FULL JOIN events e USING (lvr_id)'],
    ['MARK join', 'SELECT * FROM profiles WHERE lvr_id IN (SELECT lvr_id FROM events)'],
    ['aggregates', 'SELECT *, (SELECT max(revenue) FROM events) AS m FROM profiles'],
    ['does not read events', 'SELECT * FROM profiles'],
    ['reads events 2 times', 'SELECT a.visitor_id FROM events a JOIN events b USING (visitor_id)'],
    [
      'reads events 2 times',
      'WITH e AS (SELECT * FROM events) SELECT a.visitor_id FROM e a JOIN e b USING (visitor_id)',
    ],
  ])('refused (%s): %s', async (reason, sql) => {
    const refusal = await mapRefusal(conn, sql, 'events');
    expect(refusal).toContain(reason);
    expect(refusal).toMatch(/use mode: single$/);
  });
});

describe('checkQuery', () => {
  const check = async (text: string) => {
    const { definition, lineOf } = definitionFromText('pipelines/daily-visits.sql', text);
    return checkQuery({ definition, schemaFiles, runDate: '2025-01-02', lineOf });
  };
  const problems = async (text: string) => {
    const err = await check(text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineFileError);
    return (err as PipelineFileError).problems;
  };

  test('the example binds; its output schema', async () => {
    expect(await check(EXAMPLE)).toEqual([
      { name: 'lvr_id', type: 'VARCHAR' },
      { name: 'visits', type: 'BIGINT' },
      { name: 'dt', type: 'DATE' },
    ]);
  });

  test('mode: map of an aggregate is refused on the mode line, saying to use single', async () => {
    expect(await problems(EXAMPLE.replace('mode: single', 'mode: map'))).toEqual([
      { line: 7, key: 'mode', message: expect.stringMatching(/aggregates.*use mode: single/) },
    ]);
  });

  test('a check on a column the query does not produce names the line and the key', async () => {
    expect(await problems(EXAMPLE.replace('unique: [lvr_id]', 'unique: [lvr_id, [dt, user_id]]'))).toEqual([
      {
        line: 11,
        key: 'checks.unique[1][1]',
        message: "column user_id is not in the query's output (lvr_id, visits, dt)",
      },
    ]);
    expect((await problems(EXAMPLE.replace('notNull: [lvr_id]', 'notNull: [visitor_id]')))[0]).toMatchObject({
      line: 10,
      key: 'checks.notNull[0]',
    });
  });

  test('a violations query that does not bind against the output', async () => {
    expect(await problems(EXAMPLE.replace('WHERE visits <= 0', 'WHERE clicks <= 0'))).toEqual([
      {
        line: 12,
        key: 'checks.sql',
        message: expect.stringMatching(/^violations query: .*"clicks" not found/),
      },
    ]);
  });

  test("a query error is placed on the file's line", async () => {
    expect(await problems(EXAMPLE.replace('FROM events', 'FROM eventz'))).toEqual([
      { line: 15, message: expect.stringMatching(/eventz does not exist/) },
    ]);
  });

  test('reading an undeclared file is refused while binding', async () => {
    const [p] = await problems(EXAMPLE.replace('FROM events', "FROM read_csv('/etc/passwd')"));
    expect(p!.message).toMatch(/Permission Error: Cannot access file "\/etc\/passwd"/);
  });
});
