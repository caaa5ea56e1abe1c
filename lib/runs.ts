// Starting and following pipeline runs from a client (CLI, schedules, tests).
import {
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowFailedError,
} from '@temporalio/client';
import type { Config } from './config.js';
import { pipelineByName } from './pipelines/index.js';
import { progressQuery, type RunProgress } from './contracts/progress.js';
import { describeRootCause } from './contracts/root-cause.js';
import { runWorkflowId } from './contracts/run-id.js';
import { runSearchAttributes } from './contracts/search-attributes.js';

export interface StartRunOptions {
  client: Client;
  config: Config;
  pipeline: string;
  runDate: string;
  rawParams?: Record<string, string>;
  taskQueue?: string;
}

/** Starts `<pipeline>/<date>`. A finished run of the same date is replaced by a new run (re-run). */
export async function startRun(opts: StartRunOptions): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const def = pipelineByName(opts.pipeline);
  const params = def.buildParams(opts.rawParams ?? {}, { config: opts.config, runDate: opts.runDate });
  return opts.client.workflow.start(def.workflowType, {
    taskQueue: opts.taskQueue ?? opts.config.DAYBREAK_TASK_QUEUE,
    workflowId: runWorkflowId(def.name, opts.runDate),
    args: [{ runDate: opts.runDate, params }],
    typedSearchAttributes: runSearchAttributes(def.name, opts.runDate),
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}

/**
 * Waits for the result, calling `onProgress` with the workflow's progress query every second.
 * `signal` abandons the wait (e.g. before the connection closes on Ctrl-C).
 */
export async function waitForRun<T>(
  handle: WorkflowHandle,
  onProgress?: (p: RunProgress) => void,
  signal?: AbortSignal,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  if (onProgress) {
    const poll = async () => {
      try {
        onProgress(await handle.query(progressQuery));
      } catch {
        // Not started yet or already closed: nothing to show.
      }
      timer = setTimeout(poll, 1000);
    };
    timer = setTimeout(poll, 500);
  }
  try {
    const result = signal ? handle.client.withAbortSignal(signal, () => handle.result()) : handle.result();
    return (await result) as T;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** A failed run's root cause as `Type: message`; any other error (connection, ...) as its message. */
export function describeRunFailure(err: unknown): string {
  if (!(err instanceof WorkflowFailedError)) return err instanceof Error ? err.message : String(err);
  return describeRootCause(err);
}
