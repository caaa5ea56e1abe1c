// A fixed-rate (open-loop) HTTP load for bench:feature-api. autocannon's `overallRate` is a
// per-second quota per connection (lib/httpClient.js: each connection sends back to back until its
// share of the second is used, then waits for the next second), so at half the saturated rate it
// saturates the API for about half of every second. Here request i is due at start + i / rate and
// is written as soon as it is due and a keep-alive connection is free; every response's latency is
// taken both from its write (as autocannon measures) and from its due time (adds what the request
// waited for a free connection or for this process's event loop: no coordinated omission).
import net from 'node:net';

export interface OpenLoopResult {
  /** Per 2xx response: ms from write, ms from due time, completion time (performance.now()). */
  fromWrite: number[];
  fromDue: number[];
  at: number[];
  sent: number;
  non2xx: number;
  errors: number;
  ms: number;
}

export interface OpenLoopOptions {
  port: number;
  connections: number;
  /** Requests per second. */
  rate: number;
  path: () => string;
  headers: Record<string, string>;
  /** Stops scheduling once this resolves, or after `durationMs` if that comes later. */
  until: Promise<unknown>;
  durationMs: number;
}

interface Conn {
  socket: net.Socket;
  busy: boolean;
  due: number;
  written: number;
  buf: Buffer | undefined;
}

export async function openLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const head = Object.entries({ host: `127.0.0.1:${opts.port}`, connection: 'keep-alive', ...opts.headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const res: OpenLoopResult = { fromWrite: [], fromDue: [], at: [], sent: 0, non2xx: 0, errors: 0, ms: 0 };
  const conns: Conn[] = await Promise.all(
    Array.from(
      { length: opts.connections },
      () =>
        new Promise<Conn>((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port: opts.port, noDelay: true }, () =>
            resolve({ socket, busy: false, due: 0, written: 0, buf: undefined }),
          );
          socket.once('error', reject);
        }),
    ),
  );
  const idle: Conn[] = [...conns];
  const interval = 1000 / opts.rate;
  let start = 0;
  let scheduling = true;
  let drained: (() => void) | undefined;
  const dueAt = (i: number) => start + i * interval;
  const send = (c: Conn, due: number) => {
    c.busy = true;
    c.due = due;
    c.written = performance.now();
    c.socket.write(`GET ${opts.path()} HTTP/1.1\r\n${head}\r\n`, 'latin1');
    res.sent++;
  };
  /** Writes every request now due on the idle connections (oldest due first). */
  const pump = () => {
    const now = performance.now();
    while (scheduling && idle.length && dueAt(res.sent) <= now) send(idle.pop()!, dueAt(res.sent));
    if (!scheduling && idle.length === conns.length) drained?.();
  };
  for (const c of conns) {
    c.socket.on('error', () => {
      res.errors++;
      c.socket.destroy();
    });
    c.socket.on('data', (chunk: Buffer) => {
      const buf = c.buf ? Buffer.concat([c.buf, chunk]) : chunk;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return void (c.buf = buf);
      const header = buf.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(header)?.[1] ?? 0);
      if (buf.length < end + 4 + length) return void (c.buf = buf);
      c.buf = undefined; // one request in flight per connection: nothing follows the body
      const now = performance.now();
      const status = Number(header.slice(9, 12));
      if (status >= 200 && status < 300) {
        res.fromWrite.push(now - c.written);
        res.fromDue.push(now - c.due);
        res.at.push(now);
      } else res.non2xx++;
      c.busy = false;
      idle.push(c);
      pump();
    });
  }
  start = performance.now();
  const timer = setInterval(pump, 1);
  try {
    await Promise.all([opts.until, new Promise((r) => setTimeout(r, opts.durationMs))]);
  } finally {
    scheduling = false;
    res.ms = performance.now() - start;
    clearInterval(timer);
    await Promise.race([
      new Promise<void>((r) => {
        drained = r;
        pump();
      }),
      new Promise((r) => setTimeout(r, 5000)),
    ]);
    for (const c of conns) c.socket.destroy();
  }
  return res;
}
