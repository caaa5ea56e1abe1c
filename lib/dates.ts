// Logical run dates (YYYY-MM-DD, UTC). A run's date comes from its schedule or the operator,
// never from the wall clock inside a workflow.

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLogicalDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** Throws a clear error naming `what` when `value` is not a real calendar date. */
export function parseLogicalDate(value: string, what = 'date'): string {
  if (!isLogicalDate(value))
    throw new Error(`${what} must be a calendar date YYYY-MM-DD; got ${JSON.stringify(value)}`);
  return value;
}

/** The UTC calendar date of an instant. */
export function logicalDateOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return logicalDateOf(d);
}

/** Inclusive list of dates from `from` to `to`. */
export function dateRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}
