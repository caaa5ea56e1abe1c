// The root cause of a failure: what on-call needs to read, not the "Activity task failed" /
// "Child Workflow execution failed" / "Workflow execution failed" wrappers around it. One rule for
// workflows (the root-cause and alerting interceptors, the daily DAG) and clients (CLI, tests).
// Workflow-safe: only @temporalio/common.
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  TemporalFailure,
  TimeoutFailure,
} from '@temporalio/common';

export interface RootCause {
  /** Error class: an ApplicationFailure's type (`MissingInput`, ...), `<Kind>Timeout`, or an error's name. */
  type: string;
  message: string;
}

/** Wrappers that only say where a failure happened: an activity, a child, the run seen by a client. */
function isWrapper(err: unknown): err is Error & { cause?: unknown } {
  return (
    err instanceof ActivityFailure ||
    err instanceof ChildWorkflowFailure ||
    // @temporalio/client's WorkflowFailedError; named, since workflows cannot import the client.
    (err instanceof Error && err.name === 'WorkflowFailedError')
  );
}

/** The failure under the wrappers, and the innermost wrapper (where it happened), if any. */
export function rootFailure(err: unknown): { root: unknown; where?: ActivityFailure | ChildWorkflowFailure } {
  let current = err;
  let where: ActivityFailure | ChildWorkflowFailure | undefined;
  while (isWrapper(current) && current.cause !== undefined) {
    if (current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) where = current;
    current = current.cause;
  }
  return { root: current, where };
}

/** `HEARTBEAT` -> `Heartbeat`, `START_TO_CLOSE` -> `StartToClose`. */
function pascal(words: string): string {
  return words.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());
}

export function rootCauseOf(err: unknown): RootCause {
  const { root, where } = rootFailure(err);
  if (root instanceof ApplicationFailure) return { type: root.type ?? 'Error', message: root.message };
  // Other roots (timeouts, cancellations) say little alone: name the activity or child.
  const at =
    where instanceof ActivityFailure
      ? `activity ${where.activityType}: `
      : where instanceof ChildWorkflowFailure
        ? `child ${where.execution.workflowId}: `
        : '';
  if (root instanceof TimeoutFailure) {
    const kind = pascal(String(root.timeoutType ?? 'UNKNOWN'));
    return { type: `${kind}Timeout`, message: `${at}${root.message || `${kind} timeout`}` };
  }
  if (root instanceof TemporalFailure || root instanceof Error)
    return { type: root.name, message: `${at}${root.message}` };
  return { type: 'Error', message: `${at}${String(root)}` };
}

/** `Type: message`, the one-line form the CLI prints for a failed run. */
export function describeRootCause(err: unknown): string {
  const cause = rootCauseOf(err);
  return `${cause.type}: ${cause.message}`;
}
