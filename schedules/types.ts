// A schedule as code: everything the platform team decides about one schedule, validated before
// anything reaches the server. `daybreak schedules apply` turns these into Temporal Schedules.
import { ALERT_ROUTES } from '../alerts/routes.js';
import { z } from 'zod';

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 } as const;
const duration = z.string().regex(DURATION_RE, 'a duration such as 30s, 5m, 2h or 1d');

/** Milliseconds of a duration string accepted by the schema (`30s`, `5m`, `2h`, `1d`). */
export function durationMs(value: string): number {
  const m = DURATION_RE.exec(value);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(value)}`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

export const OVERLAP_POLICIES = [
  'SKIP',
  'BUFFER_ONE',
  'BUFFER_ALL',
  'CANCEL_OTHER',
  'TERMINATE_OTHER',
  'ALLOW_ALL',
] as const;

/** A calendar entry (all fields in the schedule's time zone); omitted fields mean "every". */
const calendarSchema = z
  .object({
    minute: z.number().int().min(0).max(59).default(0),
    hour: z.number().int().min(0).max(23).default(0),
    dayOfMonth: z.number().int().min(1).max(31).optional(),
    month: z.number().int().min(1).max(12).optional(),
    dayOfWeek: z.number().int().min(0).max(6).optional(),
  })
  .strict();

export const scheduleDefinitionSchema = z
  .object({
    /** Kebab-case; the server id is `daybreak/<name>`. */
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'kebab-case letters, digits and -'),
    description: z.string().min(1),
    /**
     * Pipelines to run (`all`: the whole catalogue), in the order their datasets give; an upstream
     * left out becomes a sensor on its output for the logical date.
     */
    pipelines: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]),
    /** Cron expression (5 fields) in `timeZone`; exactly one of `cron` and `calendar`. */
    cron: z.string().min(9).optional(),
    calendar: calendarSchema.optional(),
    /** IANA time zone the cron/calendar and the logical date are read in. */
    timeZone: z.string().min(1).default('UTC'),
    /** Logical date = scheduled date (in timeZone) + this many days; -1: a run processes the day before. */
    logicalDateOffsetDays: z.number().int().min(-31).max(0).default(-1),
    /** How late a missed run (server down) may still be started. */
    catchupWindow: duration.default('1d'),
    /** What happens when a run is due while the previous one still runs; also used by backfills. */
    overlap: z.enum(OVERLAP_POLICIES).default('BUFFER_ALL'),
    /** Random delay added to each start, to spread load. */
    jitter: duration.optional(),
    /** Pipeline parameters per pipeline (`key: value`, as `--param`); `{date}` becomes the logical date. */
    params: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    /**
     * Extra sensor inputs per pipeline, beyond its declared datasets: URI prefixes whose `_SUCCESS`
     * must exist; `{root}` and `{date}` are replaced.
     */
    inputs: z.record(z.string(), z.array(z.string().min(1))).default({}),
    sensor: z
      .object({ pokeInterval: duration.default('1m'), timeout: duration.default('6h') })
      .strict()
      .default({ pokeInterval: '1m', timeout: '6h' }),
    /** A run should finish within this many seconds of its start (read by the alert interceptor). */
    slaSeconds: z.number().int().positive(),
    /** Where alerts of these runs go: a route of alerts/routes.ts (a typo fails at apply, not at 3 a.m.). */
    alertRoute: z.enum(Object.keys(ALERT_ROUTES) as [string, ...string[]]),
    /** Created paused (an operator's pause/unpause is kept by later applies). */
    paused: z.boolean().default(false),
    note: z.string().optional(),
  })
  .strict()
  .refine((d) => (d.cron === undefined) !== (d.calendar === undefined), {
    message: 'give exactly one of cron and calendar',
  });

/** What a definition file exports (defaults may be omitted). */
export type ScheduleDefinitionInput = z.input<typeof scheduleDefinitionSchema>;
/** A validated definition with defaults filled in. */
export type ScheduleDefinition = z.output<typeof scheduleDefinitionSchema>;

export function defineSchedule(def: ScheduleDefinitionInput): ScheduleDefinitionInput {
  return def;
}

/** An operator mistake (unknown schedule, invalid definition): the CLI prints its message only. */
export class ScheduleError extends Error {
  override name = 'ScheduleError';
}

export class ScheduleDefinitionError extends ScheduleError {
  override name = 'ScheduleDefinitionError';
}

export function parseScheduleDefinition(def: ScheduleDefinitionInput): ScheduleDefinition {
  const parsed = scheduleDefinitionSchema.safeParse(def);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(definition)'}: ${i.message}`);
  throw new ScheduleDefinitionError(
    `schedule ${JSON.stringify(def.name)} is invalid: ${problems.join('; ')}`,
  );
}
