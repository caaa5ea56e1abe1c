// Turns a validated schedule definition into Temporal ScheduleOptions. The action starts the
// generic `daily` workflow with the DAG's branches (derived from the catalogue here, client-side),
// the memo the alert interceptor reads (`slaSeconds`, `alertRoute`) and the `Pipeline` search
// attribute; the run's logical date and `RunDate` come from its scheduled time, in the workflow.
import { createHash } from 'node:crypto';
import type { ScheduleOptions, ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import { PipelineKey } from '../lib/contracts/search-attributes.js';
import { DAILY_PIPELINE, type DailyInput } from '../lib/contracts/daily.js';
import type { daily } from '../workflows/daily.js';
import { makeCatalogue, type Catalogue, type PipelineDefinition } from '../pipelines/index.js';
import { buildBranches } from '../pipelines/dag.js';
import {
  durationMs,
  parseScheduleDefinition,
  ScheduleDefinitionError,
  type ScheduleDefinition,
  type ScheduleDefinitionInput,
} from './types.js';

/** Schedules Daybreak manages live under this id prefix; `apply --prune` touches nothing else. */
export const SCHEDULE_ID_PREFIX = 'daybreak/';
/** Key of the action memo holding the definition's fingerprint (what `apply` compares). */
export const VERSION_MEMO_KEY = 'definitionVersion';

const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;
const WEEKDAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;

export interface CompileContext {
  config: Config;
  /** The catalogue's definitions (built-ins, plus loaded or test ones): checked as one catalogue. */
  pipelines: readonly PipelineDefinition[];
  idPrefix?: string;
}

export interface CompiledSchedule {
  definition: ScheduleDefinition;
  scheduleId: string;
  options: ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof daily>>;
  /** Fingerprint of everything the server holds for this definition except operator state. */
  version: string;
}

/** JSON with sorted keys, so equal definitions always hash alike. */
function stableJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function scheduleIdOf(name: string, idPrefix = SCHEDULE_ID_PREFIX): string {
  return `${idPrefix}${name}`;
}

/** Checks a definition against the catalogue: parameter names and values must build for a sample date. */
function checkParams(
  def: ScheduleDefinition,
  branches: ReturnType<typeof buildBranches>,
  catalogue: Catalogue,
  config: Config,
) {
  for (const branch of branches) {
    const raw = Object.fromEntries(
      Object.entries(branch.rawParams ?? {}).map(([k, v]) => [k, v.replaceAll('{date}', '2000-01-01')]),
    );
    try {
      catalogue.buildParams(branch.pipeline, raw, { config, runDate: '2000-01-01' });
    } catch (err) {
      throw new ScheduleDefinitionError(`schedule ${def.name}: ${(err as Error).message}`);
    }
  }
}

/**
 * `def` narrowed to `only` of its pipelines, with those pipelines' parameters and sensors
 * (`daily --pipelines`, `up --pipelines`); all of it without `only`.
 */
export function narrowSchedule(
  def: ScheduleDefinitionInput,
  only: readonly string[] | undefined,
): ScheduleDefinitionInput {
  if (!only) return def;
  const pick = <T>(byPipeline: Record<string, T> | undefined) =>
    Object.fromEntries(Object.entries(byPipeline ?? {}).filter(([p]) => only.includes(p)));
  return { ...def, pipelines: [...only], params: pick(def.params), inputs: pick(def.inputs) };
}

export function compileSchedule(input: ScheduleDefinitionInput, ctx: CompileContext): CompiledSchedule {
  const def = parseScheduleDefinition(input);
  const scheduleId = scheduleIdOf(def.name, ctx.idPrefix);
  let branches;
  let catalogue: Catalogue;
  try {
    catalogue = makeCatalogue(ctx.pipelines);
    branches = buildBranches({
      catalogue,
      pipelines: def.pipelines,
      rawParams: def.params,
      inputs: def.inputs,
      dataRoot: ctx.config.DAYBREAK_DATA_ROOT,
      memo: { alertRoute: def.alertRoute, schedule: def.name },
    });
  } catch (err) {
    throw new ScheduleDefinitionError(`schedule ${def.name}: ${(err as Error).message}`);
  }
  checkParams(def, branches, catalogue, ctx.config);
  const dailyInput: DailyInput = {
    timeZone: def.timeZone,
    logicalDateOffsetDays: def.logicalDateOffsetDays,
    branches,
    rerun: 'failed',
    sensor: {
      pokeIntervalMs: durationMs(def.sensor.pokeInterval),
      timeoutMs: durationMs(def.sensor.timeout),
    },
  };
  const cal = def.calendar;
  const spec: ScheduleOptions['spec'] = {
    ...(def.cron ? { cronExpressions: [def.cron] } : {}),
    ...(cal
      ? {
          calendars: [
            {
              minute: cal.minute,
              hour: cal.hour,
              ...(cal.dayOfMonth !== undefined ? { dayOfMonth: cal.dayOfMonth } : {}),
              ...(cal.month !== undefined ? { month: MONTHS[cal.month - 1] } : {}),
              ...(cal.dayOfWeek !== undefined ? { dayOfWeek: WEEKDAYS[cal.dayOfWeek] } : {}),
            },
          ],
        }
      : {}),
    timezone: def.timeZone,
    ...(def.jitter ? { jitter: def.jitter } : {}),
  };
  const policies = { overlap: def.overlap, catchupWindow: def.catchupWindow, pauseOnFailure: false };
  const memo = { slaSeconds: def.slaSeconds, alertRoute: def.alertRoute, schedule: def.name };
  const taskQueue = ctx.config.DAYBREAK_TASK_QUEUE;
  const staticSummary = `schedule ${def.name}: ${def.description}`;
  const version = createHash('sha256')
    .update(
      stableJson({
        scheduleId,
        spec,
        policies,
        memo,
        taskQueue,
        dailyInput,
        staticSummary,
        paused: def.paused,
        note: def.note,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  return {
    definition: def,
    scheduleId,
    version,
    options: {
      scheduleId,
      spec,
      policies,
      action: {
        type: 'startWorkflow',
        workflowType: DAILY_PIPELINE,
        workflowId: scheduleId,
        taskQueue,
        args: [dailyInput],
        memo: { ...memo, [VERSION_MEMO_KEY]: version },
        typedSearchAttributes: [{ key: PipelineKey, value: DAILY_PIPELINE }],
        staticSummary,
      },
      memo: { description: def.description },
      state: { paused: def.paused, note: def.note ?? 'managed by daybreak schedules apply' },
    },
  };
}
