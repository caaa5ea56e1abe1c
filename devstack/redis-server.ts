// A local redis-server child process (tests, benches, local runs): no persistence, 127.0.0.1,
// the feature store's listpack setting, stopped and restartable on the same port.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './dev-server.js';

export interface LocalRedis {
  port: number;
  url: string;
  /** Stops the server (SIGTERM, then waits for exit). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  start(): Promise<void>;
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

export async function startLocalRedis(
  opts: { binary?: string; port?: number; extraArgs?: string[] } = {},
): Promise<LocalRedis> {
  const port = opts.port ?? (await freePort());
  const binary = opts.binary ?? 'redis-server';
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        // As docker-compose.yml: feature-store buckets stay compact listpacks (README: Redis layout).
        '--hash-max-listpack-value',
        '512',
        ...(opts.extraArgs ?? []),
      ],
      { stdio: 'ignore' },
    );
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
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}
