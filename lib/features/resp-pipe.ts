// A raw RESP pipe to Redis for bulk loads (what `redis-cli --pipe` does): DuckDB generates the
// protocol bytes of many commands at once and they are written to the socket as they come,
// with backpressure; replies are only counted and checked for errors. ~4x a pipelined ioredis
// client on this machine (DESIGN 6), because no per-command JS object is ever built.
import type net from 'node:net';
import { connectionCommands, openRedisSocket, respCommand } from './resp.js';

export { respCommand } from './resp.js';

/** Longest a pipe with replies outstanding waits for the next byte before it calls the server stalled. */
export const DEFAULT_STALL_MS = 60_000;

const closedDuringLoad = () => new Error('Redis connection closed during a bulk load');

export class RespPipe {
  private expected = 0;
  private lastDataAt = Date.now();
  private readonly watchdog: NodeJS.Timeout;
  private received = 0;
  private tail = '';
  private firstError: string | undefined;
  private failure: Error | undefined;
  /** Flushes waiting for replies: woken by every reply and by a failure. */
  private waiters: Array<() => void> = [];
  /** Writes waiting for 'drain': woken by a failure only (a reply must not undo the backpressure). */
  private drainWaiters: Array<() => void> = [];

  private constructor(
    private readonly socket: net.Socket,
    private readonly stallMs: number,
  ) {
    // A server that takes commands and never answers (paused, wedged, not Redis) must fail the
    // load, not hold it forever while the activity's heartbeats say all is well.
    this.watchdog = setInterval(() => this.checkStall(), Math.max(10, Math.min(stallMs / 4, 5_000)));
    this.watchdog.unref();
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => this.onData(data));
    socket.on('error', (err) => this.fail(err));
    // A close is a failure even with nothing owed: the next write could never be sent (close()
    // removes this listener first, so a pipe closed here on purpose does not count).
    socket.on('close', () => this.fail(closedDuringLoad()));
  }

  /** Connects to a redis:// or rediss:// URL (user, password and /db honoured). */
  static async open(redisUrl: string, opts: { stallMs?: number } = {}): Promise<RespPipe> {
    const pipe = new RespPipe(await openRedisSocket(redisUrl), opts.stallMs ?? DEFAULT_STALL_MS);
    for (const args of connectionCommands(redisUrl)) await pipe.write(respCommand(...args), 1);
    return pipe;
  }

  private checkStall(): void {
    if (this.received >= this.expected) {
      this.lastDataAt = Date.now(); // nothing owed: the clock starts at the next command
      return;
    }
    if (Date.now() - this.lastDataAt <= this.stallMs) return;
    const stall = this.stallMs % 1000 === 0 ? `${this.stallMs / 1000} s` : `${this.stallMs} ms`;
    this.fail(new Error(`Redis sent no reply for ${stall} during a bulk load (timed out)`));
    this.socket.destroy();
  }

  private onData(data: string): void {
    this.lastDataAt = Date.now();
    const text = this.tail + data;
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      // Every command sent here answers with one line: +OK or -ERR ...
      if (text.charCodeAt(start) === 45 /* '-' */ && this.firstError === undefined) {
        this.firstError = text.slice(start + 1, nl - 1);
      }
      this.received += 1;
      start = nl + 1;
    }
    this.tail = text.slice(start);
    this.wake();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const ds = this.drainWaiters;
    this.drainWaiters = [];
    for (const d of ds) d();
    this.wake();
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private check(): void {
    if (this.firstError !== undefined)
      throw new Error(`Redis rejected a bulk-load command: ${this.firstError}`);
    if (this.failure) throw this.failure;
  }

  /** Sends protocol bytes holding `commands` commands; resolves when the socket can take more. */
  async write(resp: string, commands: number): Promise<void> {
    this.check();
    this.expected += commands;
    if (this.socket.write(resp, 'utf8')) return;
    // Wait for 'drain' or for any failure (error, close, the stall watchdog): a socket that closed
    // before this write never drains and never closes again, so 'close' alone could wait forever.
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.drainWaiters = this.drainWaiters.filter((d) => d !== done);
        resolve();
      };
      this.socket.once('drain', done);
      this.drainWaiters.push(done);
      if (this.failure || this.socket.destroyed) this.fail(closedDuringLoad());
    });
    this.check();
  }

  /** Waits until every command sent has been answered; throws on the first error reply. */
  async flush(): Promise<number> {
    while (this.received < this.expected) {
      this.check();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.check();
    return this.received;
  }

  close(): void {
    clearInterval(this.watchdog);
    this.socket.removeAllListeners('close');
    this.socket.end();
    this.socket.destroy();
  }
}
