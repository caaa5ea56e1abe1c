// Following runs from a client (CLI, schedules, tests): progress while waiting, and the one-line
// failure. Starting a catalogue pipeline's run is pipelines/runs.ts.
import { type WorkflowHandle, WorkflowFailedError } from '@temporalio/client';
import { progressQuery, type RunProgress } from './contracts/progress.js';
import { describeRootCause } from './contracts/root-cause.js';

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
