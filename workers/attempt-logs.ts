// The per-attempt log of the activity the interceptor is running (DESIGN 4): opened when the
// attempt starts, fed by the runtime logger with the entries tagged by its task token, closed
// with the attempt's outcome. Only activities of pipeline runs (`<pipeline>/<date>` workflow ids)
// get one; the machinery's own workflows have no date to file them under, and local activities
// (run bookkeeping, no step of their own in the Web UI) have none either.
import type { Info } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { Config } from '../lib/config.js';
import { attemptLogStep } from '../lib/contracts/attempt-log.js';
import { parseRunWorkflowId } from '../lib/contracts/run-id.js';
import { AttemptLog } from '../lib/logs/attempt-log.js';
import { routeAttemptLog } from '../lib/logs/capture.js';
import { attemptLogUri } from '../lib/logs/layout.js';

/** Longest an activity's completion waits for its log's last write (a slow or broken store). */
const CLOSE_WAIT_MS = 5_000;

export interface OpenAttemptLog {
  /** Writes the outcome line and the final log; never throws, waits at most a few seconds. */
  close(outcome: { error?: unknown; errorClass?: string }): Promise<void>;
}

export function openAttemptLog(config: Config, identity: string, info: Info): OpenAttemptLog | undefined {
  const execution = info.workflowExecution;
  const { pipeline, runDate } = parseRunWorkflowId(execution?.workflowId);
  if (!execution || !pipeline || !runDate || info.isLocal) return undefined;
  const step = attemptLogStep(info.activityType, info.activityId);
  const ref = { pipeline, runDate, runId: execution.runId, step, attempt: info.attempt };
  const log = new AttemptLog(attemptLogUri(config.DAYBREAK_DATA_ROOT, ref), {
    kind: 'attempt',
    pipeline,
    runDate,
    workflowId: execution.workflowId,
    runId: execution.runId,
    activityType: info.activityType,
    activityId: info.activityId,
    step,
    attempt: info.attempt,
    worker: identity,
    startedAt: new Date().toISOString(),
  });
  log.start();
  const unroute = routeAttemptLog(info.base64TaskToken, log);
  return {
    async close({ error, errorClass }) {
      unroute();
      const closing =
        error === undefined
          ? log.close('succeeded')
          : log.close(
              error instanceof CancelledFailure ? 'cancelled' : 'failed',
              `${errorClass ?? 'Error'}: ${error instanceof Error ? error.message : String(error)}`,
            );
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
      await Promise.race([closing, waited]);
      clearTimeout(timer);
    },
  };
}
