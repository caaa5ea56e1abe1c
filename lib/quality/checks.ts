// The data-quality checks a pipeline declares on its output (a SQL pipeline in its header, a
// built-in one in its definition), as one zod schema, and the result of running one.
import { z } from 'zod';

const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column name (letters, digits, _)');

const count = z.number().int('a whole number').min(0, 'a whole number >= 0');

export const rowsCheckSchema = z
  .strictObject({
    /** Fewest output rows. */
    min: count.optional(),
    /** Most output rows. */
    max: count.optional(),
    /** Largest change in percent against the previous date's published output. */
    maxChangePct: z.number().positive('a number > 0').optional(),
  })
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
    message: 'min must not exceed max',
  });

/** A figure of the run's report (e.g. identity-join's matchRate) within bounds. */
export const reportCheckSchema = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((r) => r.min !== undefined || r.max !== undefined, { message: 'give min, max or both' });

export const checksSchema = z.strictObject({
  rows: rowsCheckSchema.optional(),
  /** Columns that must never be null. */
  notNull: z.array(columnName).min(1, 'list at least one column').optional(),
  /** Columns (or lists of columns: a composite key) whose values occur at most once. */
  unique: z
    .array(z.union([columnName, z.array(columnName).min(1, 'list at least one column')]))
    .min(1, 'list at least one column')
    .optional(),
  /** Violations queries over the view `output`: every row one returns is a violation. */
  sql: z
    .union([z.string().trim().min(1, 'a query'), z.array(z.string().trim().min(1, 'a query')).min(1)])
    .optional(),
  /** Figures of the run's report (built-in pipelines report e.g. matchRate). */
  report: z.record(z.string().regex(/^[A-Za-z_]\w*$/, 'a report field name'), reportCheckSchema).optional(),
});

export type Checks = z.infer<typeof checksSchema>;

/** The outcome of one check, as recorded in the manifest and named in a DataQuality failure. */
export interface CheckResult {
  /** e.g. `rows.min`, `notNull(lvr_id)`, `unique(dt, user_id)`, `sql[0]`, `report.matchRate`. */
  check: string;
  status: 'passed' | 'failed' | 'skipped';
  /** The measured figure (rows, a change in percent, violating rows, a report value). */
  figure?: number;
  /** The limit the figure is held to, in words: `>= 1`, `<= 50%`, `= 0`. */
  limit: string;
  /** Context for the figure (e.g. the previous date's rows) or why the check was skipped. */
  detail?: string;
  /** Up to five violating rows, PII columns masked. */
  samples?: Record<string, unknown>[];
}

/** The columns a check set reads, with the key path that names each (for header validation). */
export function checkedColumns(checks: Checks): { column: string; key: (string | number)[] }[] {
  const out: { column: string; key: (string | number)[] }[] = [];
  checks.notNull?.forEach((column, i) => out.push({ column, key: ['checks', 'notNull', i] }));
  checks.unique?.forEach((entry, i) => {
    if (typeof entry === 'string') out.push({ column: entry, key: ['checks', 'unique', i] });
    else entry.forEach((column, j) => out.push({ column, key: ['checks', 'unique', i, j] }));
  });
  return out;
}

/** The violations queries of a check set, as a list. */
export function violationQueries(checks: Checks): string[] {
  if (checks.sql === undefined) return [];
  return typeof checks.sql === 'string' ? [checks.sql] : checks.sql;
}
