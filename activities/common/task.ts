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
