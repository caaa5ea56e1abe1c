// Client side of the durable dedup state (workflows/alert-state.ts): open an alert for
// (scope, error class) or resolve every open alert of a scope.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { openAlertUpdate, resolveAlertsUpdate } from '../lib/contracts/alert-state.js';

export const ALERT_STATE_PREFIX = 'daybreak-alerts/';

export function alertStateId(scope: string): string {
  return `${ALERT_STATE_PREFIX}${scope}`;
}

/** True when this (scope, class) has no open alert in the window: the caller sends it. */
export async function openAlert(
  client: Client,
  opts: { taskQueue: string; scope: string; errorClass: string; windowMs: number },
): Promise<boolean> {
  let lastError: unknown;
  // A state workflow may end (window over) between start and update: start a fresh one then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const handle = await client.workflow.start('alertState', {
      taskQueue: opts.taskQueue,
      workflowId: alertStateId(opts.scope),
      args: [{ windowMs: opts.windowMs }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    try {
      return await client.workflow
        .getHandle(handle.workflowId, handle.firstExecutionRunId)
        .executeUpdate(openAlertUpdate, { args: [opts.errorClass] });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** Ends the scope's open alerts; returns their classes (empty when none was open). */
export async function resolveAlerts(client: Client, scope: string): Promise<string[]> {
  try {
    return await client.workflow.getHandle(alertStateId(scope)).executeUpdate(resolveAlertsUpdate);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || isClosed(err)) return [];
    throw err;
  }
}

function isClosed(err: unknown): boolean {
  const message =
    err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : '';
  return /already completed|not found|workflow execution already/i.test(message);
}
