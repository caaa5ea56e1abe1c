// A local redis-server child process (tests, benches, `daybreak up`) on 127.0.0.1 with the
// feature store's listpack setting, stopped and restartable on the same port: in memory, or with
// `dir` persisted there (append-only file), so a restart finds the features it had.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { freePort } from './dev-server.js';

export interface LocalRedis {
  port: number;
  url: string;
  /** Stops the server (SIGTERM, then waits for exit). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
  /** SIGKILL at once, synchronously (a last resort on exit: a detached server outlives its parent). */
  kill(): void;
}

async function waitForPing(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => s.write('PING\r\n'));
      s.on('data', (d) => {
        resolve(d.toString().startsWith('+PONG'));
        s.destroy();
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

export interface LocalRedisOptions {
  binary?: string;
  port?: number;
  /** Keep the data in this folder (append-only file); omitted means in memory only. */
  dir?: string;
  /** Where the server logs (default discarded). */
  logFile?: string;
  /** Its own process group: a terminal's Ctrl-C reaches the parent only, which stops it in order. */
  detached?: boolean;
  extraArgs?: string[];
}

export async function startLocalRedis(opts: LocalRedisOptions = {}): Promise<LocalRedis> {
  const port = opts.port ?? (await freePort());
  const binary = opts.binary ?? 'redis-server';
  const persistence = opts.dir ? ['--dir', opts.dir, '--appendonly', 'yes'] : ['--appendonly', 'no'];
  if (opts.dir) fs.mkdirSync(opts.dir, { recursive: true });
  let child: ChildProcess | undefined;
  const start = async () => {
    const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
    child = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...persistence,
        // As docker-compose.yml: feature-store buckets stay compact listpacks (README: Redis layout).
        '--hash-max-listpack-value',
        '512',
        ...(opts.extraArgs ?? []),
      ],
      { stdio: ['ignore', out, out], detached: opts.detached ?? false },
    );
    if (typeof out === 'number') fs.closeSync(out);
    await waitForPing(port, child);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  const kill = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return { port, url: `redis://127.0.0.1:${port}`, stop, start, kill };
}
