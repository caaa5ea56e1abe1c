// Logical dates (YYYY-MM-DD): a run's date comes from its schedule's nominal time or the operator,
// never from the wall clock inside a workflow. A run scheduled for the 26th at 02:00 that starts
// late on the 27th still gets the same date. Pure functions (Intl only), so workflows and clients
// share them.

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isLogicalDate(value: string): boolean {
  if (!DATE_RE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** Throws a clear error naming `what` when `value` is not a real calendar date. */
export function parseLogicalDate(value: string, what = 'date'): string {
  if (!isLogicalDate(value))
    throw new Error(`${what} must be a calendar date YYYY-MM-DD; got ${JSON.stringify(value)}`);
  return value;
}

/** The calendar date (YYYY-MM-DD) of `instant` in `timeZone` (IANA name, e.g. Europe/Paris). */
export function calendarDateIn(instant: Date, timeZone = 'UTC'): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Inclusive list of dates from `from` to `to`. */
export function dateRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * The logical date of a run scheduled at `scheduledTime`: its calendar date in the schedule's time
 * zone plus `offsetDays` (-1: a run at 02:00 processes the day before, the usual daily-batch rule).
 * With the defaults, the UTC date of an instant (the CLI's "today").
 */
export function logicalDateOf(scheduledTime: Date, timeZone = 'UTC', offsetDays = 0): string {
  return addDays(calendarDateIn(scheduledTime, timeZone), offsetDays);
}

/** Milliseconds `timeZone` is ahead of UTC at `instant`. */
function zoneOffsetMs(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant a calendar date starts (local midnight) in `timeZone`. */
export function startOfDateIn(date: string, timeZone = 'UTC'): Date {
  const guess = Date.parse(`${date}T00:00:00Z`);
  let instant = guess - zoneOffsetMs(new Date(guess), timeZone);
  // A second pass settles dates whose midnight is on the other side of a DST change.
  instant = guess - zoneOffsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

/**
 * The scheduled-time window whose runs have logical dates `from`..`to` (inclusive): the start of
 * `from + (-offset)` to just before the start of `to + 1 + (-offset)`, in the schedule's time zone.
 */
export function scheduledWindowFor(
  from: string,
  to: string,
  timeZone = 'UTC',
  offsetDays = 0,
): { start: Date; end: Date } {
  const start = startOfDateIn(addDays(from, -offsetDays), timeZone);
  const end = new Date(startOfDateIn(addDays(to, 1 - offsetDays), timeZone).getTime() - 1000);
  return { start, end };
}
