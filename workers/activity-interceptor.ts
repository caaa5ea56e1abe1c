// Activity interceptor installed on every worker: times every attempt (histogram by activity type
// and pipeline), counts failures by error class, records rows/bytes from results that report
// them, runs the activity with the worker identity that heartbeats carry, and on a retried attempt
// whose previous attempt ended in a heartbeat timeout raises a "worker lost" alert. A query that
// could not decode an input file fails as one non-retryable BadInput naming the file. Each attempt
// of a pipeline run's activity keeps its log lines under the data root (workers/attempt-logs.ts).
import { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { previousHeartbeatWorker, workerIdentityStorage } from '../activities/common/heartbeat.js';
import { asUnreadableInput } from '../activities/common/staging.js';
import { claimThenRaiseAlert, runScope, type RaiseResult } from '../alerts/service.js';
import type { Config } from '../lib/config.js';
import { pipelineTaskQueue } from '../lib/contracts/alert-lane.js';
import { attemptLogStep, logsCommandLine } from '../lib/contracts/attempt-log.js';
import { parseRunWorkflowId } from '../lib/contracts/run-id.js';
import {
  activityDuration,
  activityFailures,
  errorClassLabel,
  pipelineLabel,
  recordBytes,
  recordRows,
  workersLost,
} from '../lib/metrics.js';
import { openAttemptLog } from './attempt-logs.js';

// temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT
const TIMEOUT_TYPE_HEARTBEAT = 4;

function errorClassOf(err: unknown): string {
  if (err instanceof ApplicationFailure) return err.type ?? 'ApplicationFailure';
  return err instanceof Error ? err.name : 'Error';
}

/** Rows and bytes from a result that reports them (`inputRows`/`rows`, `bytesRead`/`bytesWritten`). */
function recordResultVolumes(pipeline: string, result: unknown): void {
  if (result === null || typeof result !== 'object') return;
  const r = result as Record<string, unknown>;
  const rows =
    typeof r.inputRows === 'number' ? r.inputRows : typeof r.rows === 'number' ? r.rows : undefined;
  if (rows !== undefined) recordRows(pipeline, rows);
  if (typeof r.bytesRead === 'number') recordBytes(pipeline, 'read', r.bytesRead);
  if (typeof r.bytesWritten === 'number') recordBytes(pipeline, 'write', r.bytesWritten);
}

/** What a retried attempt learned about the attempt before it: lost with its worker, or not. */
interface LostAttempt {
  previous: string;
  memo: Record<string, unknown>;
}

/**
 * How long a retried attempt waits for the check and the alert's claim before it runs: well
 * inside its heartbeat timeout, which is running meanwhile.
 */
const DETECTION_BOUND_MS = 10_000;

function detectionDeadline(heartbeatTimeoutMs: number): number {
  return Date.now() + Math.min(DETECTION_BOUND_MS, heartbeatTimeoutMs / 3);
}

/** `promise`, or a rejection once `ms` have passed (the call itself is left to finish). */
function withinMs<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms)} ms`)), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether the previous attempt ended in a heartbeat timeout, i.e. the worker
 * running it died (or hung) mid-activity. The cause decides, not a change of worker identity: a
 * restarted container (same hostname and pid) or a fixed DAYBREAK_WORKER_IDENTITY comes back as
 * itself. Asked before the attempt runs (once it completes, the server no longer shows the cause)
 * and retried within a bound, so a server that is briefly away (a restart) does not swallow it.
 */
async function findLostAttempt(deadline: number): Promise<LostAttempt | undefined> {
  const ctx = Context.current();
  const { info } = ctx;
  const execution = info.workflowExecution;
  if (!execution) return undefined;
  for (let delayMs = 200, tries = 1; ; tries++, delayMs = Math.min(delayMs * 2, 2_000)) {
    try {
      const description = await withinMs(
        deadline - Date.now(),
        ctx.client.workflow.getHandle(execution.workflowId, execution.runId).describe(),
      );
      const pending = description.raw.pendingActivities?.find((a) => a.activityId === info.activityId);
      if (pending?.lastFailure?.timeoutFailureInfo?.timeoutType !== TIMEOUT_TYPE_HEARTBEAT) return undefined;
      return {
        // The last heartbeat names the worker that ran the lost attempt (none: lost before its first).
        previous: previousHeartbeatWorker(info.heartbeatDetails) ?? 'unknown (no heartbeat)',
        memo: (description.memo ?? {}) as Record<string, unknown>,
      };
    } catch (err) {
      if (Date.now() + delayMs > deadline) {
        ctx.log.warn('worker-lost check failed: a lost previous attempt may go unreported', {
          tries,
          error: String(err),
        });
        return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/** The "worker lost" count and alert for an attempt found lost: resolves once the alert is claimed. */
async function reportLostWorker(
  config: Config,
  identity: string,
  lost: LostAttempt,
): Promise<{ delivery: Promise<RaiseResult> }> {
  const ctx = Context.current();
  const info = ctx.info;
  const execution = info.workflowExecution!;
  const { previous, memo } = lost;
  const { pipeline = info.workflowType ?? 'unknown', runDate } = parseRunWorkflowId(execution.workflowId);
  workersLost.inc({ pipeline: pipelineLabel(pipeline) });
  return claimThenRaiseAlert(
    // The alert state lives on the pipeline queue: a retried alert-lane activity's own queue has
    // no workflow worker, and a state started there never answered (its update hung).
    { config, client: ctx.client, taskQueue: pipelineTaskQueue(info.taskQueue), log: ctx.log },
    runScope(pipeline, runDate),
    `WorkerLost:${previous}`,
    {
      kind: 'worker-lost',
      pipeline,
      runDate,
      workflowId: execution.workflowId,
      runId: execution.runId,
      errorClass: 'WorkerLost',
      errorMessage: `worker ${previous} stopped heartbeating (activity Heartbeat timeout); ${info.activityType} retried as attempt ${info.attempt} on ${identity}`,
      attempts: info.attempt,
      workerIdentity: previous,
      facts: {
        'Lost worker': previous,
        'Retried on': identity,
        Activity: `${info.activityType} (${info.activityId})`,
        ...(runDate
          ? {
              'Lost attempt logs': logsCommandLine(
                pipeline,
                runDate,
                attemptLogStep(info.activityType, info.activityId),
                info.attempt - 1,
              ),
            }
          : {}),
      },
    },
    typeof memo.alertRoute === 'string' ? memo.alertRoute : undefined,
  );
}

/**
 * Before a retried attempt runs: was the attempt before it lost with its worker? Then count it and
 * claim the alert (both bounded by one deadline); the channels deliver beside the attempt. Never
 * fails the attempt.
 */
async function checkPreviousAttempt(config: Config, identity: string): Promise<void> {
  const ctx = Context.current();
  // No heartbeat timeout (the SDK says 0): the attempt before cannot have ended in one.
  if (!ctx.info.heartbeatTimeoutMs) return;
  const deadline = detectionDeadline(ctx.info.heartbeatTimeoutMs);
  const lost = await findLostAttempt(deadline);
  if (!lost) return;
  const claimed = reportLostWorker(config, identity, lost);
  claimed
    .then(({ delivery }) => delivery)
    .catch((err: unknown) => ctx.log.warn('worker-lost alert failed', { error: String(err) }));
  // A claim still going at the deadline finishes beside the attempt (its failure is logged above).
  await withinMs(deadline - Date.now(), claimed).catch(() => undefined);
}

export function observingActivityInterceptor(config: Config, identity: string): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const info = ctx.info;
        const pipeline = pipelineLabel(parseRunWorkflowId(info.workflowExecution?.workflowId).pipeline);
        if (info.attempt > 1)
          await workerIdentityStorage.run(identity, () => checkPreviousAttempt(config, identity));
        const stop = activityDuration.startTimer({ activity: info.activityType, pipeline });
        const attemptLog = openAttemptLog(config, identity, info);
        try {
          const result = await workerIdentityStorage.run(identity, () => next(input));
          stop({ outcome: 'success' });
          recordResultVolumes(parseRunWorkflowId(info.workflowExecution?.workflowId).pipeline ?? '', result);
          await attemptLog?.close({});
          return result;
        } catch (thrown) {
          stop({ outcome: 'failure' });
          // A damaged input file fails the same way on every attempt: one BadInput naming it.
          const err = asUnreadableInput(thrown);
          activityFailures.inc({
            activity: info.activityType,
            pipeline,
            error_class: errorClassLabel(errorClassOf(err)),
          });
          await attemptLog?.close({ error: err, errorClass: errorClassOf(err) });
          throw err;
        }
      },
    },
  });
}
