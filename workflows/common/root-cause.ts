// The innermost cause of a failure (workflow-safe): what on-call needs to read, not the
// "Activity task failed" / "Child Workflow execution failed" wrappers around it.
import { ApplicationFailure, TemporalFailure, TimeoutFailure } from '@temporalio/common';

export interface RootCause {
  type: string;
  message: string;
}

export function innermost(err: unknown): unknown {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current;
}

export function rootCauseOf(err: unknown): RootCause {
  const root = innermost(err);
  if (root instanceof ApplicationFailure) return { type: root.type ?? 'Error', message: root.message };
  if (root instanceof TimeoutFailure)
    return { type: `Timeout${root.timeoutType ?? ''}`, message: root.message };
  if (root instanceof TemporalFailure) return { type: root.name, message: root.message };
  if (root instanceof Error) return { type: root.name, message: root.message };
  return { type: 'Error', message: String(root) };
}
