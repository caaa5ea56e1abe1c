// Heartbeats for long activities: details say what is happening ("shard 3/16: 1.2M rows") and
// carry what a retry needs to resume; a cancelled activity interrupts its DuckDB query.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Context } from '@temporalio/activity';
import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * The identity of the worker running the current activity, set by the worker's activity
 * interceptor. Heartbeat details carry it, so a retry can tell which worker stopped heartbeating.
 */
export const workerIdentityStorage = new AsyncLocalStorage<string>();
export const HEARTBEAT_WORKER_FIELD = 'workerIdentity';

/** Adds this worker's identity to object-shaped details (other shapes pass unchanged). */
export function withWorkerIdentity<D>(details: D): D {
  const identity = workerIdentityStorage.getStore();
  if (identity === undefined || details === null || typeof details !== 'object' || Array.isArray(details)) {
    return details;
  }
  return { ...details, [HEARTBEAT_WORKER_FIELD]: identity };
}

/** The worker identity recorded in the previous attempt's last heartbeat, if any. */
export function previousHeartbeatWorker(details: unknown): string | undefined {
  if (details === null || typeof details !== 'object') return undefined;
  const value = (details as Record<string, unknown>)[HEARTBEAT_WORKER_FIELD];
  return typeof value === 'string' ? value : undefined;
}

export interface Heartbeater<D> {
  /** Records new details and sends them now. */
  beat(details: D): void;
  stop(): void;
}

/** Query progress alone (DuckDB's percent and rows) goes to the attempt's log at most this often. */
const PROGRESS_LOG_EVERY_MS = 15_000;

/**
 * Progress into the attempt's log (workers/attempt-logs.ts keeps the activity's log lines): each
 * new step of the task at once, DuckDB's query progress on the same step every 15 s.
 */
function progressLogger(log: Pick<Context['log'], 'info'>): (details: unknown) => void {
  let lastStep: string | undefined;
  let lastAt = 0;
  return (details) => {
    if (details === null || typeof details !== 'object' || Array.isArray(details)) return;
    const { percent: _p, rowsScanned: _r, ...step } = details as Record<string, unknown>;
    const key = JSON.stringify(step);
    const now = Date.now();
    if (key === lastStep && now - lastAt < PROGRESS_LOG_EVERY_MS) return;
    lastStep = key;
    lastAt = now;
    log.info('progress', details as Record<string, unknown>);
  };
}

/**
 * Sends the latest details every `everyMs` (well inside the heartbeat timeout, even while a long
 * DuckDB query blocks nothing but this task), and interrupts `conn` on cancellation.
 */
export function startHeartbeat<D>(initial: D, conn?: DuckDBConnection, everyMs = 5_000): Heartbeater<D> {
  const ctx = Context.current();
  let details = initial;
  const logProgress = progressLogger(ctx.log);
  const send = () => ctx.heartbeat(withWorkerIdentity(details));
  send();
  logProgress(details);
  const timer = setInterval(send, everyMs);
  const onCancel = () => conn?.interrupt();
  ctx.cancellationSignal.addEventListener('abort', onCancel);
  return {
    beat(next) {
      details = next;
      send();
      logProgress(details);
    },
    stop() {
      clearInterval(timer);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    },
  };
}

/** The current activity's context; undefined outside an activity (benches, tools). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` with the activity heartbeating `{ step }` every 5 s until it ends, for quick steps
 * that wait on other services (a Temporal describe, a manifest read, a commit): under a heartbeat
 * timeout (workflows/common/activity-options.ts `heartbeatingShortActivity`) a worker killed
 * meanwhile is noticed, and the step retried, within that timeout instead of the 5-minute
 * start-to-close. Outside an activity (benches, tools) it just runs `work`.
 */
export async function whileHeartbeating<T>(step: string, work: () => Promise<T>): Promise<T> {
  if (!activityContext()) return work();
  const heartbeat = startHeartbeat({ step });
  try {
    return await work();
  } finally {
    heartbeat.stop();
  }
}

/** Details from the previous attempt's last heartbeat, when this is a retry. */
export function previousHeartbeat<D>(): D | undefined {
  const details = Context.current().info.heartbeatDetails as D | undefined;
  if (previousHeartbeatWorker(details) === undefined) return details;
  const { [HEARTBEAT_WORKER_FIELD]: _worker, ...rest } = details as Record<string, unknown>;
  return rest as D;
}

/**
 * `fn` as an activity that heartbeats every 5 s while it runs (its options give it a heartbeat
 * timeout, so a lost worker's attempt is retried soon). A local activity cannot heartbeat: there it
 * runs as it is.
 */
export function heartbeating<A extends unknown[], R>(
  step: string,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    if (Context.current().info.isLocal) return fn(...args);
    const heartbeat = startHeartbeat({ step });
    try {
      return await fn(...args);
    } finally {
      heartbeat.stop();
    }
  };
}
