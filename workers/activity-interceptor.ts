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
import { raiseAlert, runScope } from '../alerts/service.js';
import type { Config } from '../lib/config.js';
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

/**
 * On attempt > 1: when the previous attempt ended in a heartbeat timeout, the worker running it
 * died (or hung) mid-activity. The cause decides, not a change of worker identity: a restarted
 * container (same hostname and pid) or a fixed DAYBREAK_WORKER_IDENTITY comes back as itself.
 */
async function detectLostWorker(config: Config, identity: string): Promise<void> {
  const ctx = Context.current();
  const info = ctx.info;
  if (info.attempt <= 1) return;
  const execution = info.workflowExecution;
  if (!execution) return;
  const description = await ctx.client.workflow.getHandle(execution.workflowId, execution.runId).describe();
  const pending = description.raw.pendingActivities?.find((a) => a.activityId === info.activityId);
  if (pending?.lastFailure?.timeoutFailureInfo?.timeoutType !== TIMEOUT_TYPE_HEARTBEAT) return;
  // The last heartbeat names the worker that ran the lost attempt (none: lost before its first).
  const previous = previousHeartbeatWorker(info.heartbeatDetails) ?? 'unknown (no heartbeat)';
  const { pipeline = info.workflowType ?? 'unknown', runDate } = parseRunWorkflowId(execution.workflowId);
  workersLost.inc({ pipeline: pipelineLabel(pipeline) });
  const memo = (description.memo ?? {}) as Record<string, unknown>;
  await raiseAlert(
    { config, client: ctx.client, taskQueue: info.taskQueue, log: ctx.log },
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

export function observingActivityInterceptor(config: Config, identity: string): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const info = ctx.info;
        const pipeline = pipelineLabel(parseRunWorkflowId(info.workflowExecution?.workflowId).pipeline);
        if (info.attempt > 1) {
          // Never delays or fails the activity itself.
          void workerIdentityStorage
            .run(identity, () => detectLostWorker(config, identity))
            .catch((err: unknown) => ctx.log.warn('worker-lost check failed', { error: String(err) }));
        }
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
