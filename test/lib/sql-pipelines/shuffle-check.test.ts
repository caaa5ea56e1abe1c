// Which queries may run as `mode: shuffle` (once per bucket of shardBy): joins on the key,
// groupings, windows and DISTINCTs that include it pass; what would combine rows of different
// keys, or what the check cannot follow, is refused with what to change. And checkQuery's
// shuffle problems: an input without the key column, the key typed differently across inputs.
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PipelineFileError } from '../../../lib/sql-pipelines/errors.js';
import { definitionFromText } from '../../../lib/sql-pipelines/load.js';
import { checkQuery } from '../../../lib/sql-pipelines/query-check.js';
import { enterSandbox } from '../../../lib/sql-pipelines/sandbox.js';
import { shuffleRefusal } from '../../../lib/sql-pipelines/shuffle-check.js';
import { tempDir } from '../../helpers/temporal.js';

const root = tempDir('shuffle-check');
const file = (name: string) => path.join(root, `${name}.parquet`);
let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(
    `COPY (SELECT 'k' || (range % 3) AS k, 'v' || range AS v, range AS x FROM range(5)) TO '${file('events')}'`,
  );
  await setup.run(
    `COPY (SELECT 'k' || range AS k, 'expert' AS level FROM range(3)) TO '${file('profiles')}'`,
  );
  await setup.run(`COPY (SELECT range AS k, 'x' AS level FROM range(3)) TO '${file('numbered')}'`);
  await setup.run(`COPY (SELECT 'expert' AS level FROM range(3)) TO '${file('levels')}'`);
  setup.closeSync();
  conn = await instance.connect();
  // Checked in the sandbox, as validate does: the parse and the function list need no access.
  await enterSandbox(conn, {
    emptyTables: { events: [file('events')], profiles: [file('profiles')] },
    runDate: '2025-01-02',
  });
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

const refusal = (sql: string) => shuffleRefusal(conn, sql, ['events', 'profiles'], 'k');

describe('shuffleRefusal', () => {
  test.each([
    'SELECT * FROM events WHERE x > 1',
    'SELECT k, count(*) AS n FROM events GROUP BY k',
    'SELECT e.k, sum(e.x) AS s, any_value(p.level) AS level FROM events e LEFT JOIN profiles p ON e.k = p.k GROUP BY e.k',
    'SELECT k, count(*) AS n FROM events JOIN profiles USING (k) GROUP BY ALL',
    'SELECT k, count(*) AS n FROM events e FULL JOIN profiles p USING (k) GROUP BY k',
    'SELECT k AS key, count(*) AS n FROM events GROUP BY 1',
    'SELECT k AS key, count(*) AS n FROM events GROUP BY key',
    'SELECT k, v, count(*) AS n FROM events GROUP BY GROUPING SETS ((k), (k, v))',
    'WITH per AS (SELECT k, sum(x) AS s FROM events GROUP BY k) SELECT p.level, per.s FROM per JOIN profiles p USING (k)',
    'SELECT t.k, count(*) AS n FROM (SELECT k, x FROM events WHERE x > 1) t GROUP BY t.k',
    'SELECT *, row_number() OVER (PARTITION BY k ORDER BY x) AS r FROM events',
    'SELECT * FROM events QUALIFY row_number() OVER (PARTITION BY k ORDER BY x) = 1',
    'SELECT DISTINCT k, v FROM events',
    'SELECT DISTINCT ON (k) * FROM events ORDER BY k, x',
    'SELECT k FROM events UNION SELECT k FROM profiles',
    'SELECT v FROM events UNION ALL SELECT level FROM profiles',
    'SELECT * FROM events SEMI JOIN profiles USING (k)',
    'SELECT * FROM events e ANTI JOIN profiles p ON p.k = e.k',
    'SELECT * FROM events ORDER BY x',
  ])('valid per bucket: %s', async (sql) => {
    expect(await refusal(sql)).toBeUndefined();
  });

  test.each([
    ['SELECT v, count(*) AS n FROM events GROUP BY v', /groups by v without k/],
    [
      'SELECT upper(k) AS u, count(*) AS n FROM events GROUP BY upper(k)',
      /groups by an expression without k/,
    ],
    ['SELECT v, count(*) AS n FROM events GROUP BY ALL', /GROUP BY ALL/],
    ['SELECT count(*) AS n FROM events', /aggregates over the whole input/],
    ['SELECT k, count(*) AS n FROM events GROUP BY ROLLUP (k)', /grand total/],
    [
      'SELECT * FROM events e JOIN profiles p ON e.v = p.level',
      /join whose condition does not include k = k/,
    ],
    ['SELECT * FROM events, profiles', /cross join/],
    // The padded side of an outer join holds NULL, not the key, on unmatched rows.
    [
      'SELECT p.k, count(*) AS n FROM events e LEFT JOIN profiles p ON e.k = p.k GROUP BY p.k',
      /groups by p.k/,
    ],
    ['SELECT *, row_number() OVER (ORDER BY x) AS r FROM events', /row_number over the whole result/],
    ['SELECT *, sum(x) OVER (PARTITION BY v) AS s FROM events', /sum over partitions not split by k/],
    ['SELECT * FROM events ORDER BY x LIMIT 10', /limits/],
    ['SELECT DISTINCT v FROM events', /de-duplicates/],
    ['SELECT DISTINCT ON (v) * FROM events', /de-duplicates/],
    ['SELECT * FROM events WHERE k IN (SELECT k FROM profiles)', /subquery expression .*as a join on k/],
    ['SELECT v FROM events UNION SELECT level FROM profiles', /UNION over rows that do not carry k/],
    ['SELECT * FROM events USING SAMPLE 10', /samples/],
    ['SELECT 1 AS one', /reads no input/],
    ['SELECT k FROM events UNION ALL SELECT 1', /reads no input/],
    ['WITH RECURSIVE r AS (SELECT k FROM events UNION ALL SELECT k FROM r) SELECT * FROM r', /recursive/],
  ])('refused: %s', async (sql, message) => {
    const found = await refusal(sql);
    expect(found?.message).toMatch(message);
    expect(found?.message).toMatch(/^shuffle runs the query once per bucket of k .*use mode: single$/);
  });

  test("the refusal points at the query's line", async () => {
    const found = await refusal('SELECT v, count(*) AS n\nFROM events\nGROUP BY v');
    expect(found).toMatchObject({ line: 3 });
  });
});

describe('checkQuery in mode shuffle', () => {
  const pipeline = (inputs: string, sql: string) =>
    definitionFromText(
      '/x/pipelines/visits.sql',
      `/*---\ndescription: d\nowner: o\ninputs:\n${inputs}\nmode: shuffle\nshardBy: k\n---*/\n${sql}\n`,
    );
  const problems = async (inputs: string, sql: string, schemaFiles: Record<string, string[]>) => {
    const { definition, lineOf } = pipeline(inputs, sql);
    const err = await checkQuery({ definition, schemaFiles, runDate: '2025-01-02', lineOf }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PipelineFileError);
    return (err as PipelineFileError).message;
  };

  test('a valid join and aggregate binds and gives its columns', async () => {
    const { definition, lineOf } = pipeline(
      '  events: identity-join\n  profiles: raw/user_profile',
      'SELECT e.k, count(*) AS n, any_value(p.level) AS level\nFROM events e LEFT JOIN profiles p USING (k)\nGROUP BY e.k',
    );
    const columns = await checkQuery({
      definition,
      schemaFiles: { events: [file('events')], profiles: [file('profiles')] },
      runDate: '2025-01-02',
      lineOf,
    });
    expect(columns.map((c) => c.name)).toEqual(['k', 'n', 'level']);
  });

  test('an input without the shardBy column, and the key typed differently, name the file, line and key', async () => {
    expect(
      await problems(
        '  events: identity-join\n  levels: raw/levels',
        'SELECT k, count(*) AS n FROM events GROUP BY k',
        {
          events: [file('events')],
          levels: [file('levels')],
        },
      ),
    ).toMatch(
      /^\/x\/pipelines\/visits\.sql:8: shardBy: input levels \(raw\/levels\) has no column k \(columns: level\)/,
    );
    expect(
      await problems(
        '  events: identity-join\n  numbered: raw/numbered',
        'SELECT k, count(*) AS n FROM events GROUP BY k',
        { events: [file('events')], numbered: [file('numbered')] },
      ),
    ).toMatch(
      /visits\.sql:8: shardBy: k has different types in the inputs \(events: VARCHAR, numbered: BIGINT\)/,
    );
  });

  test("a query grouping by another column is refused at the query's line, under the key mode", async () => {
    expect(
      await problems('  events: identity-join', 'SELECT v, count(*) AS n\nFROM events\nGROUP BY v', {
        events: [file('events')],
      }),
    ).toMatch(/visits\.sql:11: mode: shuffle runs the query once per bucket of k .*groups by v without k/);
  });
});
