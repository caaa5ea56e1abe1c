// Runs a pipeline's data-quality checks on its staged output, before the manifest is written. The
// caller provides a DuckDB session with a view `output` over the staged files (sandboxed when the
// checks come from a user's file) and the figures it already has (rows, the previous date's rows,
// the run's report). A failed check becomes one non-retryable DataQuality failure naming the
// check, the figure and the limit, with up to five violating rows, PII masked.
import { DuckDBTypeId, type DuckDBConnection } from '@duckdb/node-api';
import type { ApplicationFailure } from '@temporalio/common';
import { sqlIdent } from '../duckdb.js';
import { dataQuality } from '../errors.js';
import { violationQueries, type CheckResult, type Checks } from './checks.js';
import { maskRow } from './pii.js';

export const SAMPLE_ROWS = 5;

export interface QualityInput {
  /** A session where `output` is the staged output. */
  conn: DuckDBConnection;
  checks: Checks;
  /** Rows of the staged output (from its files' footers). */
  rows: number;
  /** The previous date's published output, for `rows.maxChangePct`. */
  previous?: { rows: number; runDate: string };
  /** The run's report, for `report.<figure>` checks. */
  report?: Record<string, unknown>;
  /** Output columns to mask in samples besides the usual PII names. */
  pii?: string[];
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 4 });

async function scalar(conn: DuckDBConnection, sql: string): Promise<number> {
  const rows = (await conn.runAndReadAll(sql)).getRows();
  return Number(rows[0]?.[0] ?? 0);
}

const INTEGER_TYPES = new Set([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);

/** Up to five rows as JSON values (integers as numbers when exact), PII columns masked. */
async function samples(
  conn: DuckDBConnection,
  sql: string,
  pii: string[],
): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(`SELECT * FROM (${sql}\n) LIMIT ${SAMPLE_ROWS}`);
  const names = reader.columnNames();
  const integer = new Set(
    reader.columnTypes().flatMap((t, i) => (INTEGER_TYPES.has(t.typeId) ? [names[i]] : [])),
  );
  return (reader.getRowObjectsJson() as Record<string, unknown>[]).map((row) => {
    for (const [k, v] of Object.entries(row)) {
      if (integer.has(k) && typeof v === 'string' && Number.isSafeInteger(Number(v))) row[k] = Number(v);
    }
    return maskRow(row, pii);
  });
}

function bounded(check: string, figure: number, min?: number, max?: number, detail?: string): CheckResult[] {
  const out: CheckResult[] = [];
  if (min !== undefined) {
    out.push({
      check: `${check}.min`,
      status: figure >= min ? 'passed' : 'failed',
      figure,
      limit: `>= ${fmt(min)}`,
      detail,
    });
  }
  if (max !== undefined) {
    out.push({
      check: `${check}.max`,
      status: figure <= max ? 'passed' : 'failed',
      figure,
      limit: `<= ${fmt(max)}`,
      detail,
    });
  }
  return out;
}

function rowChecks(input: QualityInput): CheckResult[] {
  const rows = input.checks.rows;
  if (!rows) return [];
  const out = bounded('rows', input.rows, rows.min, rows.max);
  if (rows.maxChangePct !== undefined) {
    const check = 'rows.maxChangePct';
    const limit = `<= ${fmt(rows.maxChangePct)}%`;
    const prev = input.previous;
    if (!prev) {
      out.push({ check, status: 'skipped', limit, detail: 'no published output of an earlier date' });
    } else if (prev.rows === 0) {
      out.push({ check, status: 'skipped', limit, detail: `the output of ${prev.runDate} has no rows` });
    } else {
      const change = Math.round((Math.abs(input.rows - prev.rows) / prev.rows) * 1000) / 10;
      out.push({
        check,
        status: change <= rows.maxChangePct ? 'passed' : 'failed',
        figure: change,
        limit,
        detail: `${fmt(input.rows)} rows against ${fmt(prev.rows)} on ${prev.runDate}`,
      });
    }
  }
  return out;
}

async function notNullChecks(input: QualityInput, pii: string[]): Promise<CheckResult[]> {
  const columns = input.checks.notNull ?? [];
  if (columns.length === 0) return [];
  const counts = (
    await input.conn.runAndReadAll(
      `SELECT ${columns.map((c) => `count(*) FILTER (WHERE ${sqlIdent(c)} IS NULL)`).join(', ')} FROM output`,
    )
  ).getRows()[0]!;
  const out: CheckResult[] = [];
  for (const [i, column] of columns.entries()) {
    const nulls = Number(counts[i]);
    const result: CheckResult = {
      check: `notNull(${column})`,
      status: nulls === 0 ? 'passed' : 'failed',
      figure: nulls,
      limit: '= 0 null rows',
    };
    if (nulls > 0)
      result.samples = await samples(
        input.conn,
        `SELECT * FROM output WHERE ${sqlIdent(column)} IS NULL`,
        pii,
      );
    out.push(result);
  }
  return out;
}

async function uniqueChecks(input: QualityInput, pii: string[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const entry of input.checks.unique ?? []) {
    const columns = typeof entry === 'string' ? [entry] : entry;
    const cols = columns.map(sqlIdent).join(', ');
    // Rows with a null key part are not duplicates of each other (as in SQL's UNIQUE).
    const duplicates = `SELECT ${cols}, count(*) AS occurrences FROM output
      WHERE ${columns.map((c) => `${sqlIdent(c)} IS NOT NULL`).join(' AND ')}
      GROUP BY ${cols} HAVING count(*) > 1`;
    const keys = await scalar(input.conn, `SELECT count(*) FROM (${duplicates})`);
    const result: CheckResult = {
      check: `unique(${columns.join(', ')})`,
      status: keys === 0 ? 'passed' : 'failed',
      figure: keys,
      limit: '= 0 duplicated values',
    };
    if (keys > 0) result.samples = await samples(input.conn, `${duplicates} ORDER BY occurrences DESC`, pii);
    out.push(result);
  }
  return out;
}

async function violationChecks(input: QualityInput, pii: string[]): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const [i, sql] of violationQueries(input.checks).entries()) {
    const n = await scalar(input.conn, `SELECT count(*) FROM (${sql}\n)`);
    const result: CheckResult = {
      check: `sql[${i}]`,
      status: n === 0 ? 'passed' : 'failed',
      figure: n,
      limit: '= 0 rows returned',
      detail: sql,
    };
    if (n > 0) result.samples = await samples(input.conn, sql, pii);
    out.push(result);
  }
  return out;
}

function reportChecks(input: QualityInput): CheckResult[] {
  const out: CheckResult[] = [];
  for (const [name, bounds] of Object.entries(input.checks.report ?? {})) {
    const value = input.report?.[name];
    if (value === null) {
      // The run says there is nothing to measure (e.g. a match rate over no input rows).
      const skipped = bounded(`report.${name}`, 0, bounds.min, bounds.max);
      for (const r of skipped)
        out.push({ check: r.check, status: 'skipped', limit: r.limit, detail: `no ${name} this run` });
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      out.push({
        check: `report.${name}`,
        status: 'failed',
        limit: 'a number',
        detail: `the run's report has no figure ${name}`,
      });
      continue;
    }
    out.push(...bounded(`report.${name}`, value, bounds.min, bounds.max));
  }
  return out;
}

/** Runs every declared check; never throws for a failed check (see qualityFailure). */
export async function runChecks(input: QualityInput): Promise<CheckResult[]> {
  const pii = input.pii ?? [];
  return [
    ...rowChecks(input),
    ...reportChecks(input),
    ...(await notNullChecks(input, pii)),
    ...(await uniqueChecks(input, pii)),
    ...(await violationChecks(input, pii)),
  ];
}

function describe(r: CheckResult): string {
  const figure =
    r.figure === undefined ? 'no figure' : `${fmt(r.figure)}${r.check.endsWith('Pct') ? '%' : ''}`;
  const detail = r.detail && !r.check.startsWith('sql[') ? ` (${r.detail})` : '';
  const rows = r.samples?.length
    ? `\n  violating rows (up to ${SAMPLE_ROWS}, PII masked):\n${r.samples.map((s) => `    ${JSON.stringify(s)}`).join('\n')}`
    : '';
  const query = r.check.startsWith('sql[') && r.detail ? ` [${r.detail.replace(/\s+/g, ' ')}]` : '';
  return `check ${r.check}${query} failed: ${figure}${detail}, limit ${r.limit}${rows}`;
}

/**
 * The DataQuality failure for a run whose checks failed, or undefined when none did. `subject`
 * names the run, e.g. `daily-visits 2025-01-02`; every result travels in the failure's details.
 */
export function qualityFailure(subject: string, results: CheckResult[]): ApplicationFailure | undefined {
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length === 0) return undefined;
  return dataQuality(
    `${subject}: ${failed.length} of ${results.length} data-quality checks failed; the output was not published and the previous one stays. ${failed.map(describe).join('; ')}`,
    { checks: results },
  );
}
