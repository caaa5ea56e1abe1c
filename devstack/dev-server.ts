// Launches `temporal server start-dev` as a child process on free loopback ports, with Daybreak's
// search attributes registered, and waits until its frontend answers. A port asked for must be
// free: readiness is of this child, never of another process already answering there.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort, requireFreePort } from './ports.js';

export { freePort };

/** Custom search attributes every Daybreak run sets (see lib/contracts/search-attributes.ts). */
export const DEV_SERVER_SEARCH_ATTRIBUTES = { Pipeline: 'Keyword', RunDate: 'Datetime' } as const;

/**
 * Dynamic config every Daybreak server runs with (the compose stack sets the same in
 * deploy/temporal/dynamicconfig/): the matcher that honours task priority, so backfill runs
 * (priority 4) wait behind daily runs (the default, 3) on the shared queues. Server 1.29 ships it
 * off.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = { 'matching.useNewMatcher': 'true' } as const;

export interface DevServerOptions {
  binary: string;
  /** SQLite file so runs survive a restart; omitted means in-memory. */
  dbFile?: string;
  port?: number;
  uiPort?: number;
  /** Disable the Web UI. */
  headless?: boolean;
  namespace?: string;
  /** Where the server's own log goes (default: a file beside dbFile, or discarded). */
  logFile?: string;
  startTimeoutMs?: number;
  /** More `temporal server start-dev` arguments (e.g. `--dynamic-config-value k=v`). */
  extraArgs?: string[];
  /**
   * Its own process group, so a terminal's Ctrl-C reaches only the parent, which stops the
   * server after its worker (the worker can still report cancelled activities).
   */
  detached?: boolean;
  /** Names the setting that moves a port asked for, in the error when it is taken. */
  portVariables?: { port?: string; uiPort?: string };
}

export interface DevServer {
  address: string;
  port: number;
  uiPort?: number;
  uiUrl?: string;
  namespace: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `killAfterMs` (default 10 s) if it has not exited. */
  stop(killAfterMs?: number): Promise<void>;
}

/** The last lines of the server's log, for an error that says why it stopped. */
function logTail(logFile: string | undefined): string {
  if (!logFile) return '';
  try {
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3);
    return lines.length && lines[0] ? `; its log (${logFile}) ends:\n${lines.join('\n')}` : '';
  } catch {
    return '';
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitForFrontend(
  address: string,
  child: ChildProcess,
  timeoutMs: number,
  logFile: string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  const died = () =>
    new Error(
      `temporal dev server exited with ${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode}${logTail(logFile)}`,
    );
  while (Date.now() < deadline) {
    if (exited(child)) throw died();
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        // An answer counts only while our child still runs (it may have failed to bind).
        if (exited(child)) throw died();
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(
    `temporal dev server at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`,
  );
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (opts.port !== undefined)
    await requireFreePort(opts.port, 'the Temporal dev server', opts.portVariables?.port ?? 'its port');
  if (opts.uiPort !== undefined && !opts.headless)
    await requireFreePort(opts.uiPort, 'the Temporal Web UI', opts.portVariables?.uiPort ?? 'its UI port');
  const port = opts.port ?? (await freePort());
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await freePort()));
  const namespace = opts.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const [key, type] of Object.entries(DEV_SERVER_SEARCH_ATTRIBUTES)) {
    args.push('--search-attribute', `${key}=${type}`);
  }
  for (const [key, value] of Object.entries(DEV_SERVER_DYNAMIC_CONFIG)) {
    args.push('--dynamic-config-value', `${key}=${value}`);
  }
  args.push(...(opts.extraArgs ?? []));
  const logFile = opts.logFile ?? (opts.dbFile ? `${opts.dbFile}.log` : undefined);
  if (logFile) fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(opts.binary, args, { stdio: ['ignore', out, out], detached: opts.detached ?? false });
  if (typeof out === 'number') fs.closeSync(out);
  const address = `127.0.0.1:${port}`;
  try {
    await waitForFrontend(address, child, opts.startTimeoutMs ?? 60_000, logFile);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const stop = async (killAfterMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    address,
    port,
    uiPort,
    uiUrl: uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`,
    namespace,
    process: child,
    stop,
  };
}
