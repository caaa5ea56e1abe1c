// The frame every DuckDB activity runs in: a private scratch folder (removed afterwards), one
// DuckDB session, and a heartbeat that keeps the activity alive during long queries and
// interrupts the query on cancellation; all three released whatever happens.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Config } from '../../lib/config.js';
import { withDuckDB, type DuckDBSessionOptions } from '../../lib/duckdb.js';
import { duckdbOptions } from './deps.js';
import { startHeartbeat, type Heartbeater } from './heartbeat.js';
import { withScratch } from './scratch.js';

export interface DuckDBTask<D> {
  scratch: string;
  conn: DuckDBConnection;
  heartbeat: Heartbeater<D>;
}

export interface DuckDBTaskOptions<D> {
  /** Names the scratch folder (e.g. `ms-score-3`), so leftovers say whose they are. */
  label: string;
  /** Default: the configured memory limit, threads and scratch, with query progress. */
  duckdb?: DuckDBSessionOptions;
  /** The first heartbeat's details (what the Web UI shows until the task reports more). */
  heartbeat: D;
}

export function withDuckDBTask<D, T>(
  config: Config,
  opts: DuckDBTaskOptions<D>,
  fn: (task: DuckDBTask<D>) => Promise<T>,
): Promise<T> {
  return withScratch(config, opts.label, (scratch) =>
    withDuckDB(opts.duckdb ?? duckdbOptions(config), async (conn) => {
      const heartbeat = startHeartbeat(opts.heartbeat, conn);
      try {
        return await fn({ scratch, conn, heartbeat });
      } finally {
        heartbeat.stop();
      }
    }),
  );
}

/** What a task's heartbeat adds while a DuckDB query runs. */
export interface QueryProgress {
  percent?: number;
  rowsScanned?: number;
}

/**
 * Runs `work` with `initial` as the task's details; `beat` updates them, and every 2 s the
 * heartbeat also carries DuckDB's progress on the running query (what the Web UI shows).
 */
export async function withQueryProgress<D extends object, T>(
  task: Pick<DuckDBTask<D & QueryProgress>, 'conn' | 'heartbeat'>,
  initial: D,
  work: (beat: (next: Partial<D>) => void) => Promise<T>,
): Promise<T> {
  let current = initial;
  task.heartbeat.beat(current);
  const timer = setInterval(() => {
    const p = task.conn.progress;
    task.heartbeat.beat({
      ...current,
      percent: p.percentage >= 0 ? Math.round(p.percentage) : undefined,
      rowsScanned: Number(p.rows_processed),
    });
  }, 2_000);
  try {
    return await work((next) => {
      current = { ...current, ...next };
      task.heartbeat.beat(current);
    });
  } finally {
    clearInterval(timer);
  }
}
