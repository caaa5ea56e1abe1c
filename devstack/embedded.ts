// An embedded Daybreak: a local Temporal dev server (from the Temporal CLI) plus an in-process
// worker. Used by `daybreak up` (persistent SQLite, Web UI) and `daybreak run --embedded`
// (ephemeral, headless). The server's and the worker's logs go to `<state>/logs/`, not the console.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Config } from '../lib/config.js';
import { startDevServer, type DevServer } from './dev-server.js';
import { openLogFile, type LogFile } from './log-file.js';
import { provision } from './provision.js';
import { connectClient, connectWorkerConnection } from '../lib/temporal.js';
import { installRuntime } from '../workers/runtime.js';
import { createWorker } from '../workers/worker.js';

export interface EmbeddedOptions {
  config: Config;
  /** The `temporal` binary; default: provisioned here (found, or built with Go). */
  temporalCli?: string;
  /** Progress lines (e.g. a first Go build of the Temporal CLI). */
  log?: (line: string) => void;
  /** Keep runs in `<state>/temporal.db` (survives restarts) and serve the Web UI. */
  persistent: boolean;
  port?: number;
  uiPort?: number;
  /** The dev server in its own process group: the caller stops it after the worker. */
  detached?: boolean;
  /** How long running activities get on stop before they are cancelled (default 30s). */
  shutdownGraceTime?: Duration;
  shutdownForceTime?: Duration;
}

export interface Embedded {
  config: Config;
  server: DevServer;
  client: Client;
  worker: Worker;
  /** The worker's log (the SDK's entries); the server's is beside it. */
  log: LogFile;
  /** Stops the worker, then the server (SIGKILL after `killServerAfterMs`). */
  stop(killServerAfterMs?: number): Promise<void>;
}

export function logDir(config: Config): string {
  return path.resolve(config.DAYBREAK_STATE_DIR, 'logs');
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<Embedded> {
  const { config } = opts;
  const stateDir = path.resolve(config.DAYBREAK_STATE_DIR);
  const binary =
    opts.temporalCli ??
    (
      await provision({
        tools: ['temporal'],
        install: config.DAYBREAK_PROVISION,
        cacheDir: config.DAYBREAK_CACHE_DIR,
        temporalCli: config.TEMPORAL_CLI,
        log: opts.log,
      })
    ).temporal;
  const server = await startDevServer({
    binary,
    dbFile: opts.persistent ? path.join(stateDir, 'temporal.db') : undefined,
    logFile: path.join(logDir(config), 'temporal-server.log'),
    headless: !opts.persistent || config.DAYBREAK_EMBEDDED_NO_UI,
    port: opts.port,
    uiPort: opts.uiPort,
    namespace: config.TEMPORAL_NAMESPACE,
    detached: opts.detached,
    portVariables: { port: 'TEMPORAL_ADDRESS', uiPort: 'TEMPORAL_UI_URL' },
  });
  const embeddedConfig: Config = {
    ...config,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_UI_URL: server.uiUrl ?? config.TEMPORAL_UI_URL,
  };
  const log = openLogFile(path.join(logDir(config), 'worker.log'));
  // Ours to close on stop: an open native connection keeps the SDK runtime, and with the log
  // sink its log callback, holding the process after the run (`run --embedded` never exiting).
  let connection: NativeConnection | undefined;
  try {
    const client = await connectClient(embeddedConfig);
    installRuntime(embeddedConfig, log.sdkSink);
    connection = await connectWorkerConnection(embeddedConfig);
    const worker = await createWorker({
      config: embeddedConfig,
      connection,
      logSink: log.sdkSink,
      shutdownGraceTime: opts.shutdownGraceTime,
      shutdownForceTime: opts.shutdownForceTime,
    });
    const running = worker.run();
    return {
      config: embeddedConfig,
      server,
      client,
      worker,
      log,
      async stop(killServerAfterMs?: number) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch((err: unknown) => log.write(`worker stopped with ${String(err)}`));
        await connection?.close();
        await client.connection.close();
        await server.stop(killServerAfterMs);
        log.close();
      },
    };
  } catch (err) {
    await connection?.close();
    await server.stop();
    log.close();
    throw err;
  }
}
