// The sandbox of a pipeline's SQL: after enterSandbox the session reads its inputs' files and
// writes into its output folder, and every escape the issue lists is refused (as DuckDB 1.5.6 does,
// DESIGN 6), even when run as a statement of its own (the query check refuses those earlier).
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { enterSandbox, refusalsAsViolations, sandboxRefusal } from '../../../lib/sql-pipelines/sandbox.js';
import { tempDir } from '../../helpers/temporal.js';

const root = tempDir('sandbox');
const inputs = path.join(root, 'inputs');
const out = path.join(root, 'out');
const secret = path.join(inputs, 'not-declared.parquet');
let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  fs.mkdirSync(inputs, { recursive: true });
  fs.mkdirSync(out, { recursive: true });
  instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(`COPY (SELECT range AS id FROM range(10)) TO '${inputs}/events.parquet'`);
  await setup.run(`COPY (SELECT 'x' AS pii FROM range(3)) TO '${secret}'`);
  setup.closeSync();
  conn = await instance.connect();
  await enterSandbox(conn, {
    views: { events: [path.join(inputs, 'events.parquet')] },
    writeDir: out,
    runDate: '2025-01-02',
  });
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

async function refused(sql: string): Promise<string> {
  try {
    await conn.run(sql);
  } catch (err) {
    const what = sandboxRefusal(err);
    expect(what, (err as Error).message).toBeDefined();
    return what!;
  }
  throw new Error(`not refused: ${sql}`);
}

describe('allowed', () => {
  test('the declared inputs read through their views, and run_date is a DATE', async () => {
    const rows = (await conn.runAndReadAll(`SELECT count(*), getvariable('run_date') FROM events`)).getRows();
    expect(String(rows[0]![0])).toBe('10');
    expect(String(rows[0]![1])).toBe('2025-01-02');
  });

  test('COPY into the task output folder (as the task writes its files), and reading them back', async () => {
    await conn.run(
      `COPY (SELECT * FROM events) TO '${out}' (FORMAT parquet, FILE_SIZE_BYTES '128MB', FILENAME_PATTERN 'part-{i}')`,
    );
    expect(fs.readdirSync(out)).toEqual(['part-0.parquet']);
    const rows = (
      await conn.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata('${out}/part-0.parquet')`)
    ).getRows();
    expect(Number(rows[0]![0])).toBe(10);
  });
});

describe('refused', () => {
  test.each([
    ['reading a system file', `SELECT * FROM read_csv('/etc/passwd')`, /Cannot access file "\/etc\/passwd"/],
    ['reading it as text', `SELECT * FROM read_text('/etc/hostname')`, /Cannot access file/],
    ['listing files', `SELECT * FROM glob('/etc/*')`, /Cannot access file/],
    [
      'reading an undeclared file beside a declared one',
      `SELECT * FROM read_parquet('${secret}')`,
      /not-declared\.parquet/,
    ],
    ['COPY TO elsewhere', `COPY (SELECT 1) TO '${root}/evil.csv'`, /evil\.csv/],
    ['ATTACH', `ATTACH '${root}/other.duckdb'`, /other\.duckdb/],
    ['INSTALL', `INSTALL httpfs`, /Cannot access directory/],
    ['LOAD', `LOAD httpfs`, /Loading external extensions is disabled/],
    [
      'SET enable_external_access',
      `SET enable_external_access = true`,
      /"enable_external_access" - the configuration has been locked/,
    ],
    ['widening allowed_directories', `SET allowed_directories = ['/']`, /locked/],
    ['unlocking', `RESET lock_configuration`, /locked/],
    ['EXPORT DATABASE', `EXPORT DATABASE '${root}/exported'`, /Cannot access directory/],
  ])('%s', async (_what, sql, message) => {
    expect(await refused(sql)).toMatch(message);
  });

  test('nothing was written outside the output folder', () => {
    expect(fs.readdirSync(root).sort()).toEqual(['inputs', 'out']);
  });
});

test('a refusal becomes one non-retryable SandboxViolation naming the file and what was refused', async () => {
  const err = await refusalsAsViolations('pipelines/evil.sql', () =>
    conn.run(`SELECT * FROM read_csv('/etc/passwd')`),
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.type).toBe('SandboxViolation');
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(/^pipelines\/evil\.sql: .*refused: Cannot access file "\/etc\/passwd"$/);
  // Other errors pass through unchanged.
  const other = await refusalsAsViolations('f.sql', () => conn.run('SELECT nope FROM events')).catch(
    (e: unknown) => e,
  );
  expect(other).not.toBeInstanceOf(ApplicationFailure);
});
