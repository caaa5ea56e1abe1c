// Routes the worker's log entries to the attempt logs open in this process. The SDK tags every
// entry an activity logs (`Context.current().log`, `log` from @temporalio/activity) with its task
// token, unique per attempt; the process's runtime logger (workers/runtime.ts) hands each entry
// here, and the activity interceptor opens and closes the routes.
import type { AttemptLog } from './attempt-log.js';

const open = new Map<string, AttemptLog>();

/** Sends the entries tagged with `taskToken` to `log` until the returned function is called. */
export function routeAttemptLog(taskToken: string, log: AttemptLog): () => void {
  open.set(taskToken, log);
  return () => {
    if (open.get(taskToken) === log) open.delete(taskToken);
  };
}

export function captureLogEntry(level: string, message: string, meta?: Record<string, unknown>): void {
  const token = meta?.taskToken;
  if (typeof token !== 'string') return;
  open.get(token)?.add(level, message, meta);
}
