// The SQL pipeline header: the example parses as written; each mistake is reported with the
// file, the line and the key.
import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { PipelineFileError } from '../../../lib/sql-pipelines/errors.js';
import { parseSqlPipeline, stripTrailingSemicolon } from '../../../lib/sql-pipelines/header.js';
import { definitionFromText } from '../../../lib/sql-pipelines/load.js';

/** The file of the issue, character for character (the user-facing contract). */
const EXAMPLE = fs.readFileSync(
  new URL('../../fixtures/sql-pipelines/daily-visits.sql', import.meta.url),
  'utf8',
);
const FILE = 'pipelines/daily-visits.sql';

function problems(text: string): { line: number; key?: string; message: string }[] {
  try {
    parseSqlPipeline(FILE, text);
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineFileError);
    const e = err as PipelineFileError;
    expect(e.file).toBe(FILE);
    for (const p of e.problems) expect(e.message).toContain(`${FILE}:${p.line}: `);
    return e.problems;
  }
  throw new Error('expected the header to be refused');
}

describe('the example of the issue', () => {
  test('parses into its header and query', () => {
    const parsed = parseSqlPipeline(FILE, EXAMPLE);
    expect(parsed.header).toEqual({
      description: 'Daily visits per LiveRamp id, from the identity join',
      owner: 'data-platform',
      inputs: { events: 'identity-join', profiles: 'raw/user_profile' },
      mode: 'single',
      checks: {
        rows: { min: 1, maxChangePct: 50 },
        notNull: ['lvr_id'],
        unique: ['lvr_id'],
        sql: 'SELECT * FROM output WHERE visits <= 0',
      },
    });
    expect(parsed.sql).toBe(
      "SELECT lvr_id, count(*) AS visits, getvariable('run_date') AS dt\nFROM events\nGROUP BY lvr_id",
    );
    expect(parsed.sqlLine).toBe(14);
    expect(parsed.lineOf(['checks', 'notNull', 0])).toBe(10);
    expect(parsed.lineOf(['inputs', 'profiles'])).toBe(6);
  });

  test('mode defaults to single; the definition carries the name, the digest and the query', () => {
    const { definition } = definitionFromText(
      '/x/pipelines/daily-visits.sql',
      EXAMPLE.replace(/^mode: .*\n/m, ''),
    );
    expect(definition).toMatchObject({ name: 'daily-visits', mode: 'single', sqlLine: 13 });
    expect(definition.digest).toMatch(/^[0-9a-f]{64}$/);
    const again = definitionFromText('/x/pipelines/daily-visits.sql', EXAMPLE);
    expect(again.definition.digest).not.toBe(definition.digest);
  });
});

describe('each header mistake names the file, the line and the key', () => {
  test.each([
    ['a bad mode', EXAMPLE.replace('mode: single', 'mode: parallel'), 7, 'mode', /one of single, map/],
    [
      'an unknown key',
      EXAMPLE.replace('owner: data-platform\n', 'owner: data-platform\nschedule: daily\n'),
      4,
      'schedule',
      /unknown key; known: description, owner, inputs, mode, shardBy, checks/,
    ],
    [
      'an unknown check',
      EXAMPLE.replace('  unique: [lvr_id]\n', '  unique: [lvr_id]\n  nonNull: [x]\n'),
      12,
      'checks.nonNull',
      /unknown key; known: rows, notNull, unique, sql/,
    ],
    [
      'an unknown rows bound',
      EXAMPLE.replace('min: 1,', 'minimum: 1,'),
      9,
      'checks.rows.minimum',
      /unknown key; known: min, max, maxChangePct/,
    ],
    [
      'a wrong type',
      EXAMPLE.replace('maxChangePct: 50', 'maxChangePct: fifty'),
      9,
      'checks.rows.maxChangePct',
      /expected a number; got "fifty"/,
    ],
    ['a negative bound', EXAMPLE.replace('min: 1,', 'min: -1,'), 9, 'checks.rows.min', />= 0/],
    ['a missing key', EXAMPLE.replace('owner: data-platform\n', ''), 2, 'owner', /required/],
    [
      'an input name that is no identifier',
      EXAMPLE.replace('  events: identity', '  Events: identity'),
      5,
      'inputs.Events',
      /SQL identifier/,
    ],
    [
      'an input named output',
      EXAMPLE.replace('  events: identity', '  output: identity'),
      5,
      'inputs.output',
      /taken by the checks/,
    ],
    [
      'a dataset that is no name or path',
      EXAMPLE.replace('raw/user_profile', '/etc/passwd'),
      6,
      'inputs.profiles',
      /pipeline name .* or a dataset path/,
    ],
    [
      'no inputs',
      EXAMPLE.replace(/inputs:\n( {2}.*\n){2}/, 'inputs: {}\n'),
      4,
      'inputs',
      /at least one input/,
    ],
    [
      'mode shuffle without shardBy',
      EXAMPLE.replace('mode: single', 'mode: shuffle'),
      7,
      'shardBy',
      /required with mode: shuffle/,
    ],
    [
      'shardBy with another mode',
      EXAMPLE.replace('mode: single', 'mode: single\nshardBy: lvr_id'),
      8,
      'shardBy',
      /only with mode: shuffle \(the mode is single\)/,
    ],
    [
      'shardBy without a mode (single by default)',
      EXAMPLE.replace('mode: single', 'shardBy: lvr_id'),
      7,
      'shardBy',
      /only with mode: shuffle \(the mode is single\)/,
    ],
    [
      'a shardBy that is no column name',
      EXAMPLE.replace('mode: single', 'mode: shuffle\nshardBy: "lvr id"'),
      8,
      'shardBy',
      /column name/,
    ],
    [
      'a check column that is no name',
      EXAMPLE.replace('notNull: [lvr_id]', 'notNull: ["lvr id"]'),
      10,
      'checks.notNull[0]',
      /column name/,
    ],
  ])('%s', (_what, text, line, key, message) => {
    const [p, ...rest] = problems(text);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ line, key });
    expect(p!.message).toMatch(message);
  });

  test('mode shuffle with shardBy parses; the definition carries both', () => {
    const { definition } = definitionFromText(
      '/x/pipelines/daily-visits.sql',
      EXAMPLE.replace('mode: single', 'mode: shuffle\nshardBy: lvr_id'),
    );
    expect(definition).toMatchObject({ mode: 'shuffle', shardBy: 'lvr_id' });
    expect(definitionFromText('/x/pipelines/daily-visits.sql', EXAMPLE).definition).not.toHaveProperty(
      'shardBy',
    );
  });

  test('every problem of a file is reported at once, in line order', () => {
    const found = problems(
      EXAMPLE.replace('mode: single', 'mode: fast').replace(
        'owner: data-platform\n',
        'owner: data-platform\ncron: x\n',
      ),
    );
    expect(found.map((p) => [p.line, p.key])).toEqual([
      [4, 'cron'],
      [8, 'mode'],
    ]);
  });

  test('YAML that does not parse names its line', () => {
    const [p] = problems(EXAMPLE.replace('  notNull: [lvr_id]', '  notNull: [lvr_id'));
    expect(p!.line).toBeGreaterThanOrEqual(10);
    expect(p!.message).toMatch(/header is not valid YAML/);
  });

  test('a file without the header comment, or without a query', () => {
    expect(problems('SELECT 1')[0]).toMatchObject({
      line: 1,
      message: expect.stringMatching(/starts with its YAML header/),
    });
    expect(problems(EXAMPLE.replace(/---\*\/[\s\S]*/, '---*/\n\n'))[0]).toMatchObject({
      message: expect.stringMatching(/query is missing/),
    });
  });

  test('a file name that is not kebab-case', () => {
    expect(() => definitionFromText('pipelines/Daily_Visits.sql', EXAMPLE)).toThrow(/kebab-case/);
  });
});

test('a trailing semicolon is dropped, outside strings and comments only', () => {
  expect(stripTrailingSemicolon('SELECT 1;')).toBe('SELECT 1');
  expect(stripTrailingSemicolon('SELECT 1; -- done\n')).toBe('SELECT 1 -- done');
  expect(stripTrailingSemicolon("SELECT ';'")).toBe("SELECT ';'");
  expect(stripTrailingSemicolon('SELECT 1 /* ; */')).toBe('SELECT 1 /* ; */');
  expect(stripTrailingSemicolon("SELECT 'it''s';")).toBe("SELECT 'it''s'");
});
