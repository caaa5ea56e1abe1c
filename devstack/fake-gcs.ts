// The GCS emulator (github.com/fsouza/fake-gcs-server) used by tests and local trials: found in
// the cache folder or built once with `go install`, started on a loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from './dev-server.js';
import { findOrBuildGoTool, locateGoTool, type FindGoToolOptions, type GoTool } from './go-tools.js';

/** The newest release that installs with `go install` (checked on Go 1.26). */
export const FAKE_GCS_MODULE = 'github.com/fsouza/fake-gcs-server@v1.56.1';

export const FAKE_GCS_TOOL: GoTool = {
  binary: 'fake-gcs-server',
  module: FAKE_GCS_MODULE,
  label: 'GCS emulator',
};

export function locateFakeGcsServer(opts: FindGoToolOptions): string | undefined {
  return locateGoTool(FAKE_GCS_TOOL, opts);
}

export function findOrBuildFakeGcsServer(opts: FindGoToolOptions): Promise<string> {
  return findOrBuildGoTool(FAKE_GCS_TOOL, opts);
}

export interface FakeGcsServer {
  /** e.g. http://127.0.0.1:41234, the value for STORAGE_EMULATOR_HOST. */
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface FakeGcsOptions {
  binary: string;
  port?: number;
  /** Keep objects on disk under this folder; omitted means in memory. */
  filesystemRoot?: string;
  /** Emulator log (default discarded). */
  logFile?: string;
  startTimeoutMs?: number;
}

async function waitUntilAnswering(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`fake-gcs-server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/storage/v1/b`);
      if (res.ok) return;
      lastError = new Error(`HTTP ${res.status}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fake-gcs-server at ${url} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

/** Starts the emulator over plain HTTP on 127.0.0.1 and waits until it answers. */
export async function startFakeGcsServer(opts: FakeGcsOptions): Promise<FakeGcsServer> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-external-url', url];
  args.push('-log-level', 'warn');
  if (opts.filesystemRoot) args.push('-backend', 'filesystem', '-filesystem-root', opts.filesystemRoot);
  else args.push('-backend', 'memory');
  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(opts.binary, args, { stdio: ['ignore', out, out] });
  if (typeof out === 'number') fs.closeSync(out);
  try {
    await waitUntilAnswering(url, child, opts.startTimeoutMs ?? 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
