// Durable alert dedup state, one small workflow per alert scope (`<pipeline>/<date>` or
// `task-queue/<name>`), id `daybreak-alerts/<scope>`. It holds the error classes alerted in the
// current window: `openAlert` answers whether a class is new (send) or already open (suppress);
// `resolveAlerts` returns the open classes (send "resolved" when any) and ends it. Temporal keeps
// it across worker restarts and serialises concurrent updates from every worker.
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { openAlertUpdate, resolveAlertsUpdate } from '../lib/contracts/alert-state.js';

export interface AlertStateInput {
  windowMs: number;
}

export async function alertState(input: AlertStateInput): Promise<string[]> {
  const openedAt = new Map<string, number>();
  let resolved: string[] | undefined;

  setHandler(openAlertUpdate, (errorClass) => {
    const at = openedAt.get(errorClass);
    if (at !== undefined && Date.now() - at < input.windowMs) return false;
    openedAt.set(errorClass, Date.now());
    return true;
  });
  setHandler(resolveAlertsUpdate, () => {
    resolved = [...openedAt.keys()];
    openedAt.clear();
    return resolved;
  });

  // Started just before its first update: give that update time to arrive.
  await condition(() => openedAt.size > 0 || resolved !== undefined, '1 minute');
  while (resolved === undefined && openedAt.size > 0) {
    const expiresAt = Math.min(...openedAt.values()) + input.windowMs;
    await condition(() => resolved !== undefined, Math.max(1, expiresAt - Date.now()));
    for (const [cls, at] of openedAt) if (Date.now() - at >= input.windowMs) openedAt.delete(cls);
  }
  await condition(allHandlersFinished);
  return resolved ?? [];
}
