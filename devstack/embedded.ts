// An embedded Daybreak: a local Temporal dev server (from the Temporal CLI) plus an in-process
// worker. Used by `daybreak up` (persistent SQLite, Web UI) and `daybreak run --embedded`
// (ephemeral, headless).
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Config } from '../lib/config.js';
import { startDevServer, type DevServer } from './dev-server.js';
import { connectClient } from '../lib/temporal.js';
import { findOrBuildTemporalCli } from './temporal-cli.js';
import { createWorker } from '../workers/worker.js';

export interface EmbeddedOptions {
  config: Config;
  /** Keep runs in `<state>/temporal.db` (survives restarts) and serve the Web UI. */
  persistent: boolean;
  port?: number;
  uiPort?: number;
  log?: (line: string) => void;
}

export interface Embedded {
  config: Config;
  server: DevServer;
  client: Client;
  worker: Worker;
  stop(): Promise<void>;
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<Embedded> {
  const { config } = opts;
  const binary = await findOrBuildTemporalCli({
    explicitPath: config.TEMPORAL_CLI,
    cacheDir: config.DAYBREAK_CACHE_DIR,
    log: opts.log,
  });
  const stateDir = path.resolve(config.DAYBREAK_STATE_DIR);
  const server = await startDevServer({
    binary,
    dbFile: opts.persistent ? path.join(stateDir, 'temporal.db') : undefined,
    logFile: path.join(stateDir, 'temporal-server.log'),
    headless: !opts.persistent || config.DAYBREAK_EMBEDDED_NO_UI,
    port: opts.port,
    uiPort: opts.uiPort,
    namespace: config.TEMPORAL_NAMESPACE,
  });
  const embeddedConfig: Config = {
    ...config,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_UI_URL: server.uiUrl ?? config.TEMPORAL_UI_URL,
  };
  try {
    const client = await connectClient(embeddedConfig);
    const worker = await createWorker({ config: embeddedConfig });
    const running = worker.run();
    return {
      config: embeddedConfig,
      server,
      client,
      worker,
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
        await client.connection.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
