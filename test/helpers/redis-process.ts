// A redis-server a fault test can hurt: SIGKILL it, start it again on the same port with other
// arguments (persistence, a slow LOADING), pause its writes. Unlike devstack's launcher, start()
// returns as soon as the server accepts connections, even while it is still LOADING.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../../devstack/dev-server.js';

export interface RedisProcess {
  port: number;
  url: string;
  /** Starts the server; `extraArgs` add to the base arguments for this start only. */
  start(extraArgs?: string[]): Promise<void>;
  /** Sends `signal` and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** First reply line to PING: '+PONG', '-LOADING ...', or undefined when nothing listens. */
export function pingLine(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write('PING\r\n'));
    s.setTimeout(2000, () => {
      s.destroy();
      resolve(undefined);
    });
    s.on('data', (d) => {
      resolve(d.toString().split('\r\n')[0]);
      s.destroy();
    });
    s.on('error', () => resolve(undefined));
  });
}

export async function redisProcess(opts: { dir: string; persistence: boolean }): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const base = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    opts.dir,
    '--dbfilename',
    `dump-${port}.rdb`,
    '--appendonly',
    'no',
    '--save',
    opts.persistence ? '3600 1' : '',
    '--hash-max-listpack-value',
    '512',
  ];
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start(extraArgs = []) {
      const c = spawn('redis-server', [...base, ...extraArgs], { stdio: 'ignore' });
      child = c;
      for (let i = 0; ; i++) {
        if (c.exitCode !== null) throw new Error(`redis-server exited with code ${c.exitCode}`);
        if ((await pingLine(port)) !== undefined) return;
        if (i > 200) throw new Error(`redis-server on ${port} did not accept connections`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill(signal = 'SIGKILL') {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill(signal);
      });
    },
  };
}

export function rdbPath(dir: string, port: number): string {
  return path.join(dir, `dump-${port}.rdb`);
}
