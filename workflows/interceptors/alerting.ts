// Workflow interceptor registered for every workflow the worker runs (workers/bundle.ts): counts a
// run's start, watches its SLA (memo `slaSeconds`, counted from the scheduled time), and when the
// run ends calls an alert activity: a failure alert when it failed for good, a resolve call when it
// succeeded. A run that failed or was cancelled first aborts the outputs it had open (the publish
// protocol's clean-up). Pipelines call nothing themselves. Deterministic: only workflow APIs, no I/O.
import { TemporalFailure } from '@temporalio/common';
import {
  CancellationScope,
  ContinueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  workflowInfo,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import type { AlertActivities, RunRef } from '../../activities/alerts/types.js';
import type { OutputActivities } from '../../activities/common/output.js';
import { alertTaskQueue } from '../../lib/contracts/alert-lane.js';
import { alertLaneActivity, outputCleanupActivity } from '../common/activity-options.js';
import { rootCauseOf } from '../../lib/contracts/root-cause.js';
import { parseRunWorkflowId } from '../../lib/contracts/run-id.js';
import {
  PipelineKey,
  RunDateKey,
  runDateOfAttribute,
  ScheduledStartTimeKey,
} from '../../lib/contracts/search-attributes.js';

/** Workflows that are Daybreak's own machinery, not pipeline runs. */
const INTERNAL_WORKFLOW_TYPES = new Set(['alertState', 'alertRedelivery', 'watchdog']);

/** Alert activities run on the alert lane of the run's task queue: never behind data work. */
const alertsOnLane = () =>
  proxyActivities<AlertActivities>({
    ...alertLaneActivity,
    taskQueue: alertTaskQueue(workflowInfo().taskQueue),
  });
/** A failed run's clean-up comes before its alert, so it runs on the lane too: no data slot needed. */
const outputsOnLane = () =>
  proxyActivities<OutputActivities>({
    ...outputCleanupActivity,
    taskQueue: alertTaskQueue(workflowInfo().taskQueue),
  });
const local = proxyLocalActivities<AlertActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 2 },
});
/**
 * A successful run's resolve call as a local activity: in the run's last workflow task, with no
 * task-queue round trip (a third of a small run's time went to the round trips of its steps).
 * Local activities have slots of their own, so it never waits behind data work either.
 */
const resolveLocally = proxyLocalActivities<AlertActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '2s', maximumAttempts: 3 },
});

function describeRun(): RunRef & { slaSeconds?: number; slaStartMs: number } {
  const info = workflowInfo();
  const fromId = parseRunWorkflowId(info.workflowId);
  const pipeline = info.typedSearchAttributes.get(PipelineKey) ?? fromId.pipeline ?? info.workflowType;
  const runDate = runDateOfAttribute(info.typedSearchAttributes.get(RunDateKey)) ?? fromId.runDate;
  const memo = info.memo ?? {};
  const sla = Number(memo.slaSeconds);
  const scheduled = info.typedSearchAttributes.get(ScheduledStartTimeKey);
  return {
    pipeline,
    runDate,
    workflowId: info.workflowId,
    runId: info.runId,
    workflowType: info.workflowType,
    route: typeof memo.alertRoute === 'string' ? memo.alertRoute : undefined,
    startedAtMs: info.startTime.getTime(),
    slaSeconds: Number.isFinite(sla) && sla > 0 ? sla : undefined,
    slaStartMs: (scheduled ?? info.startTime).getTime(),
  };
}

/** A workflow with a retry policy fails for good only on its last attempt. */
function isFinalAttempt(): boolean {
  const { retryPolicy, attempt } = workflowInfo();
  if (!retryPolicy) return true;
  const max = retryPolicy.maximumAttempts ?? 0;
  return max > 0 && attempt >= max;
}

class AlertingInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(
    input: WorkflowExecuteInput,
    next: Next<WorkflowInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    if (INTERNAL_WORKFLOW_TYPES.has(workflowInfo().workflowType)) return next(input);
    const alerts = alertsOnLane();
    const outputs = outputsOnLane();
    const { slaSeconds, slaStartMs, ...run } = describeRun();
    await local.noteRunStarted({ pipeline: run.pipeline }).catch(() => undefined);

    // A run that starts after its deadline (a backfill, a catch-up) cannot meet the SLA: no alert.
    const slaDeadlineMs =
      slaSeconds !== undefined && run.startedAtMs < slaStartMs + slaSeconds * 1000
        ? slaStartMs + slaSeconds * 1000
        : undefined;
    let slaAlert: Promise<unknown> | undefined;
    const sendSlaAlert = () => {
      slaAlert ??= CancellationScope.nonCancellable(() =>
        alerts.alertSlaMissed({ ...run, slaSeconds: slaSeconds!, slaStartMs }),
      ).catch((err: unknown) => log.warn('SLA alert failed', { error: String(err) }));
      return slaAlert;
    };
    const slaScope = new CancellationScope();
    if (slaDeadlineMs !== undefined) {
      // Already late when the first task runs (no worker was free): alert now, no timer.
      if (Date.now() >= slaDeadlineMs) void sendSlaAlert();
      else
        slaScope
          .run(async () => {
            await sleep(slaDeadlineMs - Date.now());
            await sendSlaAlert();
          })
          .catch(() => undefined); // cancelled: the run ended in time
    }
    // At the end of a successful run, a deadline that passed while it ran is a miss even if the
    // timer's task was not processed yet (a failed run gets its failure alert instead). An alert
    // already under way is finished, not abandoned.
    const stopSla = async (succeeded: boolean) => {
      slaScope.cancel();
      if (succeeded && slaDeadlineMs !== undefined && Date.now() >= slaDeadlineMs) await sendSlaAlert();
      await slaAlert;
    };

    try {
      const result = await next(input);
      await stopSla(true);
      // Runs started before the patch replay their resolve call as an activity on the alert lane.
      await (patched('resolve-alerts-locally') ? resolveLocally : alerts)
        .resolveRunAlerts(run)
        .catch((e: unknown) => log.warn('resolve alert failed', { error: String(e) }));
      return result;
    } catch (err) {
      await stopSla(false);
      // Continue-as-new is not an end; non-Temporal errors fail the workflow task (retried), not the run.
      if (err instanceof ContinueAsNew || !(err instanceof TemporalFailure)) throw err;
      // Failed or cancelled: remove what the run put into its outputs (the previous outputs stay).
      // Runs started before this existed replay without it.
      if (patched('abort-outputs-on-failure')) {
        await CancellationScope.nonCancellable(() =>
          outputs.abortRunOutputs({ workflowId: run.workflowId, runId: run.runId }),
        ).catch((e: unknown) => log.warn('aborting the run outputs failed', { error: String(e) }));
      }
      if (isCancellation(err)) throw err;
      if (isFinalAttempt()) {
        const cause = rootCauseOf(err);
        await alerts
          .alertRunFailure({
            ...run,
            errorClass: cause.type,
            errorMessage: cause.message,
            workflowAttempt: workflowInfo().attempt,
            failedAtMs: Date.now(),
          })
          .catch((e: unknown) => log.warn('failure alert failed', { error: String(e) }));
      }
      throw err;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new AlertingInterceptor()] });
