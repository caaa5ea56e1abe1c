// Operator actions on managed schedules: list, pause, unpause, trigger, backfill, delete.
import type { Client, ScheduleDescription } from '@temporalio/client';
import type { DailyInput } from '../lib/contracts/daily.js';
import { dateRange, logicalDateOf, scheduledWindowFor } from '../lib/contracts/logical-date.js';
import { describeOrUndefined, listManagedScheduleIds } from './apply.js';
import { SCHEDULE_ID_PREFIX, scheduleIdOf } from './compile.js';
import { retryTransient } from './retry.js';
import { ScheduleError } from './types.js';

export interface ScheduleStatus {
  name: string;
  scheduleId: string;
  paused: boolean;
  note?: string;
  overlap: string;
  timeZone: string;
  nextRuns: string[];
  /** The most recent run the schedule started: its scheduled time, workflow and state. */
  lastRun?: { scheduledAt: string; logicalDate: string; workflowId: string; runId: string; status: string };
  runsTaken: number;
}

async function describeManaged(client: Client, name: string, idPrefix: string): Promise<ScheduleDescription> {
  const desc = await describeOrUndefined(client, scheduleIdOf(name, idPrefix));
  if (!desc)
    throw new ScheduleError(
      `no schedule ${JSON.stringify(name)} on the server (id ${scheduleIdOf(name, idPrefix)}); run "daybreak schedules apply"`,
    );
  return desc;
}

/** Time zone and logical-date offset the schedule's runs use (from the action's input). */
function dateRuleOf(desc: ScheduleDescription): { timeZone: string; offsetDays: number } {
  const input =
    desc.action.type === 'startWorkflow' ? (desc.action.args?.[0] as DailyInput | undefined) : undefined;
  return { timeZone: input?.timeZone ?? 'UTC', offsetDays: input?.logicalDateOffsetDays ?? 0 };
}

export async function scheduleStatus(
  client: Client,
  name: string,
  idPrefix = SCHEDULE_ID_PREFIX,
): Promise<ScheduleStatus> {
  const desc = await describeManaged(client, name, idPrefix);
  const rule = dateRuleOf(desc);
  const recent = desc.info.recentActions.at(-1);
  let lastRun: ScheduleStatus['lastRun'];
  if (recent && recent.action.type === 'startWorkflow') {
    const { workflowId, firstExecutionRunId } = recent.action.workflow;
    let status: string;
    try {
      status = (
        await retryTransient(() => client.workflow.getHandle(workflowId, firstExecutionRunId).describe())
      ).status.name;
    } catch {
      status = 'NOT_FOUND';
    }
    lastRun = {
      scheduledAt: recent.scheduledAt.toISOString(),
      logicalDate: logicalDateOf(recent.scheduledAt, rule.timeZone, rule.offsetDays),
      workflowId,
      runId: firstExecutionRunId,
      status,
    };
  }
  return {
    name,
    scheduleId: desc.scheduleId,
    paused: desc.state.paused,
    note: desc.state.note,
    overlap: desc.policies.overlap ?? 'SKIP',
    timeZone: rule.timeZone,
    nextRuns: desc.info.nextActionTimes.slice(0, 3).map((d) => d.toISOString()),
    lastRun,
    runsTaken: desc.info.numActionsTaken,
  };
}

/**
 * Managed schedules with their status. Server listing is eventually consistent (a schedule created
 * a moment ago may be missing), so the `names` known from code are always looked up directly.
 */
export async function listSchedules(
  client: Client,
  idPrefix = SCHEDULE_ID_PREFIX,
  names: string[] = [],
): Promise<ScheduleStatus[]> {
  const ids = new Set([
    ...(await listManagedScheduleIds(client, idPrefix)),
    ...names.map((n) => scheduleIdOf(n, idPrefix)),
  ]);
  const out: ScheduleStatus[] = [];
  for (const id of [...ids].sort()) {
    if (!(await describeOrUndefined(client, id))) continue;
    out.push(await scheduleStatus(client, id.slice(idPrefix.length), idPrefix));
  }
  return out;
}

export async function pauseSchedule(
  client: Client,
  name: string,
  note?: string,
  idPrefix = SCHEDULE_ID_PREFIX,
) {
  await describeManaged(client, name, idPrefix);
  const handle = client.schedule.getHandle(scheduleIdOf(name, idPrefix));
  await retryTransient(() => handle.pause(note ?? 'paused with daybreak schedules pause'));
}

export async function unpauseSchedule(
  client: Client,
  name: string,
  note?: string,
  idPrefix = SCHEDULE_ID_PREFIX,
) {
  await describeManaged(client, name, idPrefix);
  const handle = client.schedule.getHandle(scheduleIdOf(name, idPrefix));
  await retryTransient(() => handle.unpause(note ?? 'unpaused with daybreak schedules unpause'));
}

/** Starts one run now, with the schedule's overlap policy; its logical date follows from "now". */
export async function triggerSchedule(client: Client, name: string, idPrefix = SCHEDULE_ID_PREFIX) {
  const desc = await describeManaged(client, name, idPrefix);
  await client.schedule.getHandle(desc.scheduleId).trigger(desc.policies.overlap);
}

export interface BackfillPlan {
  dates: string[];
  start: string;
  end: string;
  overlap: string;
}

/**
 * One run per logical date `from`..`to`, in order, under the schedule's overlap policy: the server
 * takes every scheduled time of the window as if it were passing now, and each run derives its
 * logical date from its scheduled time.
 */
export async function backfillSchedule(
  client: Client,
  name: string,
  from: string,
  to: string,
  idPrefix = SCHEDULE_ID_PREFIX,
): Promise<BackfillPlan> {
  if (to < from) throw new ScheduleError(`backfill --to ${to} is before --from ${from}`);
  const desc = await describeManaged(client, name, idPrefix);
  const rule = dateRuleOf(desc);
  const { start, end } = scheduledWindowFor(from, to, rule.timeZone, rule.offsetDays);
  await client.schedule.getHandle(desc.scheduleId).backfill({ start, end, overlap: desc.policies.overlap });
  return {
    dates: dateRange(from, to),
    start: start.toISOString(),
    end: end.toISOString(),
    overlap: desc.policies.overlap ?? 'SKIP',
  };
}

export async function deleteSchedule(client: Client, name: string, idPrefix = SCHEDULE_ID_PREFIX) {
  await describeManaged(client, name, idPrefix);
  await client.schedule.getHandle(scheduleIdOf(name, idPrefix)).delete();
}
