// Heartbeats for long activities: details say what is happening ("shard 3/16: 1.2M rows") and
// carry what a retry needs to resume; a cancelled activity interrupts its DuckDB query.
import { Context } from '@temporalio/activity';
import type { DuckDBConnection } from '@duckdb/node-api';

export interface Heartbeater<D> {
  /** Records new details and sends them now. */
  beat(details: D): void;
  stop(): void;
}

/**
 * Sends the latest details every `everyMs` (well inside the heartbeat timeout, even while a long
 * DuckDB query blocks nothing but this task), and interrupts `conn` on cancellation.
 */
export function startHeartbeat<D>(initial: D, conn?: DuckDBConnection, everyMs = 5_000): Heartbeater<D> {
  const ctx = Context.current();
  let details = initial;
  const send = () => ctx.heartbeat(details);
  send();
  const timer = setInterval(send, everyMs);
  const onCancel = () => conn?.interrupt();
  ctx.cancellationSignal.addEventListener('abort', onCancel);
  return {
    beat(next) {
      details = next;
      send();
    },
    stop() {
      clearInterval(timer);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    },
  };
}

/** Details from the previous attempt's last heartbeat, when this is a retry. */
export function previousHeartbeat<D>(): D | undefined {
  return Context.current().info.heartbeatDetails as D | undefined;
}
