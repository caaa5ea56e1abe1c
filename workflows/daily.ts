// daily: the DAG of one logical date. Sensors wait for each branch's inputs, then the pipelines
// run as child workflows `<pipeline>/<date>` in dependency order; a branch whose upstream failed
// is skipped, independent branches keep going. Generic: the branches come in the input (built
// client-side from the catalogue by pipelines/dag.ts), so this file imports no catalogue.
import { ApplicationFailure } from '@temporalio/common';
import {
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { DailyActivities } from '../activities/daily/index.js';
import type { AlertActivities } from '../activities/alerts/types.js';
import { alertTaskQueue } from '../lib/contracts/alert-lane.js';
import { ErrorType } from '../lib/errors.js';
import {
  DAILY_PIPELINE,
  dagStateQuery,
  type BranchOutcome,
  type BranchPlan,
  type DagState,
  type DailyBranch,
  type DailyInput,
  type DailyResult,
  type SensorOptions,
} from '../lib/contracts/daily.js';
import { logicalDateOf } from '../lib/contracts/logical-date.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';
import { rootCauseOf } from '../lib/contracts/root-cause.js';
import { runWorkflowId } from '../lib/contracts/run-id.js';
import { runSearchAttributes, ScheduledStartTimeKey } from '../lib/contracts/search-attributes.js';
import { sensorInput } from '../lib/contracts/sensors.js';
import { alertLaneActivity, heartbeatingShortActivity } from './common/activity-options.js';
import { listenForPublishedInputs, waitForInput } from './common/sensor.js';

export const DAG_FAILED = 'DagBranchFailed';
const DEFAULT_SENSOR: SensorOptions = { pokeIntervalMs: 60_000, timeoutMs: 6 * 3600_000 };

const planner = proxyActivities<DailyActivities>({
  ...heartbeatingShortActivity,
  summary: 'plan: build parameters, find up-to-date branches',
});

/** On the alert lane (lib/contracts/alert-lane.ts): a missed deadline's page never waits for a slot. */
const alertsOnLane = () =>
  proxyActivities<AlertActivities>({
    ...alertLaneActivity,
    taskQueue: alertTaskQueue(workflowInfo().taskQueue),
  });

/** The logical date: the operator's, else the schedule's nominal time in its zone. Never the wall clock. */
function resolveRunDate(input: DailyInput): Pick<DailyResult, 'runDate' | 'dateSource' | 'scheduledTime'> {
  if (input.runDate) return { runDate: input.runDate, dateSource: 'input' };
  const scheduled = workflowInfo().typedSearchAttributes.get(ScheduledStartTimeKey);
  if (!scheduled) {
    throw ApplicationFailure.create({
      type: ErrorType.BadInput,
      nonRetryable: true,
      message: 'daily needs runDate in its input when it is not started by a schedule',
    });
  }
  return {
    runDate: logicalDateOf(scheduled, input.timeZone, input.logicalDateOffsetDays ?? 0),
    dateSource: 'scheduled-time',
    scheduledTime: scheduled.toISOString(),
  };
}

const withDate = (value: string, runDate: string) => value.replaceAll('{date}', runDate);

export async function daily(input: DailyInput): Promise<DailyResult> {
  const { runDate, dateSource, scheduledTime } = resolveRunDate(input);
  upsertSearchAttributes(runSearchAttributes(DAILY_PIPELINE, runDate));
  const branches = input.branches;
  const order = topologicalOrder(branches);
  const progress: RunProgress = { phase: 'planning', shardsDone: 0, shardsTotal: branches.length, rows: 0 };
  setHandler(progressQuery, () => progress);
  const dag: DagState = {
    runDate,
    branches: branches.map((b) => ({
      pipeline: b.pipeline,
      workflowId: runWorkflowId(b.pipeline, runDate),
      state: 'pending',
    })),
  };
  const setState = (
    pipeline: string,
    state: DagState['branches'][number]['state'],
    waitingFor?: string[],
  ) => {
    const entry = dag.branches.find((b) => b.pipeline === pipeline)!;
    entry.state = state;
    entry.waitingFor = waitingFor;
  };
  setHandler(dagStateQuery, () => dag);
  listenForPublishedInputs();
  const running = new Set<string>();
  const showState = () => {
    progress.phase = running.size ? `running ${[...running].join(', ')}` : progress.phase;
    setCurrentDetails(
      `**${runDate}**: ${progress.shardsDone}/${branches.length} pipelines done` +
        (running.size ? `; running: ${[...running].join(', ')}` : ''),
    );
  };

  const plans = await planner.planDaily({
    runDate,
    rerun: input.rerun ?? 'failed',
    branches: branches.map((b) => ({
      pipeline: b.pipeline,
      params: b.params,
      sql: b.sql,
      rawParams: b.rawParams
        ? Object.fromEntries(Object.entries(b.rawParams).map(([k, v]) => [k, withDate(v, runDate)]))
        : undefined,
    })),
  });
  const planOf = new Map<string, BranchPlan>(plans.map((p) => [p.pipeline, p]));
  const sensor = input.sensor ?? DEFAULT_SENSOR;
  const sensorDeadlineMs = Date.now() + sensor.timeoutMs;

  const outcomes = new Map<string, Promise<BranchOutcome>>();
  const runBranch = async (branch: DailyBranch): Promise<BranchOutcome> => {
    const workflowId = runWorkflowId(branch.pipeline, runDate);
    const plan = planOf.get(branch.pipeline)!;
    const upstream = await Promise.all(branch.dependsOn.map((d) => outcomes.get(d)!));
    const blocked = upstream.filter((o) => o.status === 'failed' || o.status === 'skipped');
    if (blocked.length) {
      return {
        pipeline: branch.pipeline,
        workflowId,
        status: 'skipped',
        reason: `upstream ${blocked.map((o) => `${o.pipeline} ${o.status}`).join(', ')}`,
      };
    }
    if (plan.paramError) {
      return {
        pipeline: branch.pipeline,
        workflowId,
        status: 'failed',
        error: { type: ErrorType.BadInput, message: plan.paramError },
      };
    }
    // `stale`: whatever reads an output that is being rebuilt is rebuilt after it.
    const rebuiltUpstream = input.rerun === 'stale' && upstream.some((o) => o.status !== 'up-to-date');
    if (plan.upToDate && !rebuiltUpstream) {
      return {
        pipeline: branch.pipeline,
        workflowId,
        status: 'up-to-date',
        runId: plan.upToDate.runId,
        reason: plan.upToDate.reason,
      };
    }
    const started = Date.now();
    const inputs = branch.inputs.map(sensorInput).map((i) => ({ ...i, uri: withDate(i.uri, runDate) }));
    const waiting = `${branch.pipeline} (waiting for ${inputs.length} inputs)`;
    if (inputs.length) {
      running.add(waiting);
      setState(
        branch.pipeline,
        'waiting',
        inputs.map((i) => i.dataset ?? i.uri),
      );
    }
    showState();
    try {
      await Promise.all(
        inputs.map((i) =>
          waitForInput(i, runDate, { pokeIntervalMs: sensor.pokeIntervalMs, deadlineMs: sensorDeadlineMs }),
        ),
      );
    } catch (err) {
      const error = rootCauseOf(err);
      if (error.type === ErrorType.InputMissing) await alertInputMissing(branch, runDate, error.message);
      return {
        pipeline: branch.pipeline,
        workflowId,
        status: 'failed',
        durationMs: Date.now() - started,
        error,
      };
    } finally {
      running.delete(waiting);
    }
    running.add(branch.pipeline);
    setState(branch.pipeline, 'running');
    showState();
    let runId: string | undefined;
    try {
      const child = await startChild(branch.workflowType, {
        workflowId,
        args: [{ runDate, params: plan.params }],
        typedSearchAttributes: runSearchAttributes(branch.pipeline, runDate),
        memo: branch.memo,
        staticSummary: `${branch.pipeline} for ${runDate} (from ${workflowInfo().workflowId})`,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      runId = child.firstExecutionRunId;
      const result = await child.result();
      return {
        pipeline: branch.pipeline,
        workflowId,
        status: 'completed',
        runId,
        durationMs: Date.now() - started,
        result,
      };
    } catch (err) {
      return {
        pipeline: branch.pipeline,
        workflowId,
        status: 'failed',
        runId,
        durationMs: Date.now() - started,
        error: rootCauseOf(err),
      };
    } finally {
      running.delete(branch.pipeline);
    }
  };

  // Register every branch before awaiting any, so dependencies resolve in any declaration order.
  for (const branch of order) {
    outcomes.set(
      branch.pipeline,
      runBranch(branch).then((o) => {
        setState(o.pipeline, o.status);
        progress.shardsDone += 1;
        showState();
        return o;
      }),
    );
  }
  const results = await Promise.all(branches.map((b) => outcomes.get(b.pipeline)!));
  const failed = results
    .filter((o) => o.status === 'failed' || o.status === 'skipped')
    .map((o) => o.pipeline);
  progress.phase = failed.length ? `failed: ${failed.join(', ')}` : 'done';
  showState();
  const result: DailyResult = { runDate, dateSource, scheduledTime, outcomes: results, failed };
  if (failed.length) {
    // Fail the parent (so schedules, alerts and the Web UI show it) with every failed child's cause.
    const lines = results
      .filter((o) => failed.includes(o.pipeline))
      .map((o) =>
        o.status === 'skipped'
          ? `${o.pipeline} skipped (${o.reason})`
          : `${o.pipeline} failed: ${o.error?.type}: ${o.error?.message}`,
      );
    throw ApplicationFailure.create({
      type: DAG_FAILED,
      nonRetryable: true,
      message: `daily ${runDate}: ${failed.length} of ${results.length} pipelines did not complete; ${lines.join('; ')}`,
      details: [result],
    });
  }
  return result;
}

/**
 * A sensor's missed deadline pages for the pipeline-date it held back (its child never started),
 * with the DAG run's Web UI link; a failing alert never changes the outcome.
 */
async function alertInputMissing(branch: DailyBranch, runDate: string, message: string): Promise<void> {
  const info = workflowInfo();
  const route = branch.memo?.alertRoute;
  await alertsOnLane()
    .alertRunFailure({
      pipeline: branch.pipeline,
      runDate,
      workflowId: info.workflowId,
      runId: info.runId,
      workflowType: info.workflowType,
      route: typeof route === 'string' ? route : undefined,
      startedAtMs: info.startTime.getTime(),
      errorClass: ErrorType.InputMissing,
      errorMessage: message,
      workflowAttempt: info.attempt,
      failedAtMs: Date.now(),
    })
    .catch((err: unknown) => log.warn('InputMissing alert failed', { error: String(err) }));
}

/** Branches in an order where each comes after its dependencies; rejects unknown ones and cycles. */
export function topologicalOrder(branches: DailyBranch[]): DailyBranch[] {
  const byName = new Map(branches.map((b) => [b.pipeline, b]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: DailyBranch[] = [];
  if (byName.size !== branches.length) throw badDag('a pipeline appears twice in the branches');
  const visit = (b: DailyBranch) => {
    if (done.has(b.pipeline)) return;
    if (visiting.has(b.pipeline)) throw badDag(`dependency cycle through ${b.pipeline}`);
    visiting.add(b.pipeline);
    for (const dep of b.dependsOn) {
      const d = byName.get(dep);
      if (!d) throw badDag(`${b.pipeline} depends on ${dep}, which is not in this DAG`);
      visit(d);
    }
    visiting.delete(b.pipeline);
    done.add(b.pipeline);
    order.push(b);
  };
  branches.forEach(visit);
  return order;
}

function badDag(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.BadInput,
    nonRetryable: true,
    message: `daily: ${message}`,
  });
}
