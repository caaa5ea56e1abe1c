// The data-quality checks engine on a known output: each check's figure against a computation by
// hand, failures named with figure and limit, violating rows capped at five with PII masked.
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { qualityFailure, runChecks } from '../../../lib/quality/engine.js';
import { checksSchema, type CheckResult } from '../../../lib/quality/checks.js';
import { enterSandbox } from '../../../lib/sql-pipelines/sandbox.js';
import { tempDir } from '../../helpers/temporal.js';

// 20 rows: lvr_id L0..L14 once each, then i=15,16,17 -> L1, L2, L3 again (duplicates) and
// i=18,19 -> null; a distinct email on every row; visits 0 on rows 4 and 9, else i + 1.
const OUTPUT = `SELECT CASE WHEN i IN (18, 19) THEN NULL WHEN i >= 15 THEN 'L' || (i - 14) ELSE 'L' || i END AS lvr_id,
    'user' || i || '@example.com' AS email,
    CASE WHEN i IN (4, 9) THEN 0 ELSE i + 1 END AS visits
  FROM range(20) t(i)`;

let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  const file = path.join(tempDir('quality'), 'part-0.parquet');
  instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run(`COPY (${OUTPUT}) TO '${file}'`);
  setup.closeSync();
  conn = await instance.connect();
  await enterSandbox(conn, { views: { output: [file] } });
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

const byCheck = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.check, r]));

describe('runChecks', () => {
  test('figures and outcomes of every kind of check', async () => {
    const checks = checksSchema.parse({
      rows: { min: 1, max: 10, maxChangePct: 50 },
      notNull: ['email', 'lvr_id'],
      unique: ['email', 'lvr_id', ['lvr_id', 'visits']],
      sql: ['SELECT * FROM output WHERE visits <= 0', 'SELECT * FROM output WHERE visits > 1000'],
      report: { matchRate: { min: 0.9 } },
    });
    const results = byCheck(
      await runChecks({
        conn,
        checks,
        rows: 20,
        previous: { rows: 16, runDate: '2025-01-01' },
        report: { matchRate: 0.95 },
      }),
    );
    expect(results['rows.min']).toMatchObject({ status: 'passed', figure: 20, limit: '>= 1' });
    expect(results['rows.max']).toMatchObject({ status: 'failed', figure: 20, limit: '<= 10' });
    expect(results['rows.maxChangePct']).toMatchObject({
      status: 'passed',
      figure: 25,
      limit: '<= 50%',
      detail: '20 rows against 16 on 2025-01-01',
    });
    expect(results['report.matchRate.min']).toMatchObject({ status: 'passed', figure: 0.95 });
    expect(results['notNull(email)']).toMatchObject({ status: 'passed', figure: 0 });
    expect(results['notNull(lvr_id)']).toMatchObject({ status: 'failed', figure: 2 });
    expect(results['unique(email)']).toMatchObject({ status: 'passed', figure: 0 });
    // L1, L2, L3 occur twice each; the two nulls are not duplicates of each other.
    expect(results['unique(lvr_id)']).toMatchObject({ status: 'failed', figure: 3 });
    expect(results['unique(lvr_id, visits)']).toMatchObject({ status: 'passed', figure: 0 });
    expect(results['sql[0]']).toMatchObject({ status: 'failed', figure: 2 });
    expect(results['sql[1]']).toMatchObject({ status: 'passed', figure: 0 });
  });

  test('violating rows: at most five, PII columns masked', async () => {
    const checks = checksSchema.parse({ sql: 'SELECT * FROM output WHERE visits > 3', notNull: ['lvr_id'] });
    const results = byCheck(await runChecks({ conn, checks, rows: 20, pii: ['lvr_id'] }));
    expect(results['sql[0]']!.figure).toBe(15);
    const samples = results['sql[0]']!.samples!;
    expect(samples).toHaveLength(5);
    for (const row of samples) {
      expect(row.email).toBe('***');
      expect(row.visits).toBeGreaterThan(3);
    }
    // An extra PII column (declared with pii:) is masked too; a null stays null.
    expect(samples.some((r) => r.lvr_id === '***')).toBe(true);
    expect(results['notNull(lvr_id)']!.samples!.map((r) => r.lvr_id)).toEqual([null, null]);
    expect(JSON.stringify(results)).not.toMatch(/@example\.com/);
  });

  test('the change against the previous date is skipped without one, or when it had no rows', async () => {
    const checks = checksSchema.parse({ rows: { maxChangePct: 10 } });
    expect((await runChecks({ conn, checks, rows: 20 }))[0]).toMatchObject({
      status: 'skipped',
      detail: /no published output/,
    });
    expect(
      (await runChecks({ conn, checks, rows: 20, previous: { rows: 0, runDate: '2025-01-01' } }))[0],
    ).toMatchObject({
      status: 'skipped',
    });
    expect(
      (await runChecks({ conn, checks, rows: 5, previous: { rows: 20, runDate: '2025-01-01' } }))[0],
    ).toMatchObject({
      status: 'failed',
      figure: 75,
    });
  });

  test('a report figure that is missing fails the check', async () => {
    const checks = checksSchema.parse({ report: { matchRate: { min: 0.5 } } });
    expect((await runChecks({ conn, checks, rows: 1, report: {} }))[0]).toMatchObject({
      status: 'failed',
      detail: /no figure matchRate/,
    });
  });

  test('a null report figure skips its check (the run had nothing to measure)', async () => {
    const checks = checksSchema.parse({ report: { matchRate: { min: 0.5, max: 1 } } });
    const results = await runChecks({ conn, checks, rows: 0, report: { matchRate: null } });
    expect(results).toEqual([
      { check: 'report.matchRate.min', status: 'skipped', limit: '>= 0.5', detail: 'no matchRate this run' },
      { check: 'report.matchRate.max', status: 'skipped', limit: '<= 1', detail: 'no matchRate this run' },
    ]);
  });
});

describe('qualityFailure', () => {
  test('none when every check passed or was skipped', () => {
    expect(
      qualityFailure('x 2025-01-02', [{ check: 'rows.min', status: 'passed', figure: 3, limit: '>= 1' }]),
    ).toBeUndefined();
  });

  test('one non-retryable DataQuality failure naming each failed check, its figure and its limit', async () => {
    const checks = checksSchema.parse({
      rows: { maxChangePct: 10 },
      sql: 'SELECT * FROM output WHERE visits <= 0',
    });
    const results = await runChecks({
      conn,
      checks,
      rows: 20,
      previous: { rows: 10, runDate: '2025-01-01' },
    });
    const failure = qualityFailure('daily-visits 2025-01-02', results)!;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('DataQuality');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(
      /^daily-visits 2025-01-02: 2 of 2 data-quality checks failed; the output was not published/,
    );
    expect(failure.message).toContain(
      'check rows.maxChangePct failed: 100% (20 rows against 10 on 2025-01-01), limit <= 10%',
    );
    expect(failure.message).toContain(
      'check sql[0] [SELECT * FROM output WHERE visits <= 0] failed: 2, limit = 0 rows returned',
    );
    expect(failure.message).toMatch(
      /violating rows \(up to 5, PII masked\):\n {4}\{"lvr_id":"L[49]","email":"\*\*\*","visits":0\}/,
    );
    expect(failure.message).not.toMatch(/@example\.com/);
    expect(failure.details).toEqual([{ checks: results }]);
  });
});
