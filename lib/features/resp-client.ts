// A small pipelined Redis client for the API's read path. Commands issued while Node handles one
// batch of incoming requests are written to the socket in one write (at setImmediate) and their
// replies parsed straight from the socket's buffers; a command is a string and a promise, nothing
// more. Why not ioredis here: its per-command cost (a Command object, argument flattening, one
// socket write each, or a Pipeline object with auto-pipelining) was most of a lookup's CPU beside
// the HTTP work; bench:feature-api measures the difference (BENCHMARKS.md). The sync side keeps
// ioredis (WATCH, scripts, reconnects): it sends few commands.
//
// Behaviour an API needs and nothing else: one connection, reconnecting by itself (50 ms x
// attempt, at most 1 s apart); while it is down every command fails at once (no offline queue:
// the API answers 503); a command unanswered after `commandTimeoutMs` fails, and the connection
// is dropped and made again (a stalled FIFO cannot be skipped).
import type net from 'node:net';
import { connectionCommands, openRedisSocket, respCommand } from './resp.js';

/** An error reply of Redis (-ERR ..., -LOADING ...). */
export class RespError extends Error {
  override name = 'ReplyError';
}

export type RespReply = string | number | null | RespError | RespReply[];

interface Pending {
  left: number;
  replies: RespReply[];
  sentAt: number;
  resolve(replies: RespReply[]): void;
  reject(err: Error): void;
}

export interface RespClientOptions {
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Told why a connection failed or dropped (the API stays quiet; tests may log). */
  onConnectionError?: (err: Error) => void;
}

const CR = 13;

/** One reply starting at `pos`, or undefined when the buffer does not hold all of it yet. */
function parseReply(buf: Buffer, pos: number): { value: RespReply; end: number } | undefined {
  const nl = buf.indexOf(CR, pos);
  if (nl < 0 || nl + 1 >= buf.length) return undefined;
  const type = buf[pos];
  const line = () => buf.toString('latin1', pos + 1, nl);
  switch (type) {
    case 0x24 /* $ */: {
      const len = Number(line());
      if (len < 0) return { value: null, end: nl + 2 };
      const start = nl + 2;
      if (buf.length < start + len + 2) return undefined;
      return { value: buf.toString('utf8', start, start + len), end: start + len + 2 };
    }
    case 0x2a /* * */: {
      const n = Number(line());
      if (n < 0) return { value: null, end: nl + 2 };
      const items: RespReply[] = new Array<RespReply>(n);
      let end = nl + 2;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, end);
        if (!item) return undefined;
        items[i] = item.value;
        end = item.end;
      }
      return { value: items, end };
    }
    case 0x3a /* : */:
      return { value: Number(line()), end: nl + 2 };
    case 0x2b /* + */:
      return { value: buf.toString('utf8', pos + 1, nl), end: nl + 2 };
    case 0x2d /* - */:
      return { value: new RespError(buf.toString('utf8', pos + 1, nl)), end: nl + 2 };
    default:
      throw new Error(`unexpected byte ${type} at the start of a Redis reply`);
  }
}

export class RespClient {
  status: 'connecting' | 'ready' | 'closed' = 'connecting';
  private socket: net.Socket | undefined;
  private pending: Pending[] = [];
  private head = 0;
  private out = '';
  private flushScheduled = false;
  private tail: Buffer | undefined;
  private attempts = 0;
  private dropReason: Error | undefined;
  private readonly watchdog: NodeJS.Timeout;
  private readonly readyWaiters: Array<() => void> = [];
  private readonly commandTimeoutMs: number;

  constructor(
    private readonly url: string,
    private readonly opts: RespClientOptions = {},
  ) {
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 1000;
    this.watchdog = setInterval(() => this.checkTimeouts(), Math.max(10, this.commandTimeoutMs / 4));
    this.watchdog.unref();
    void this.connect();
  }

  /** Sends the commands in order; resolves with one reply per command (error replies as RespError). */
  exec(commands: string[][]): Promise<RespReply[]> {
    if (this.status !== 'ready')
      return Promise.reject(new Error(`Redis connection is ${this.status}; not sending commands`));
    return this.enqueue(commands);
  }

  async call(...args: string[]): Promise<RespReply> {
    return (await this.exec([args]))[0]!;
  }

  /** Resolves once connected (tests, start-up probes). */
  ready(timeoutMs = 10_000): Promise<void> {
    if (this.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis not ready after ${timeoutMs} ms`)), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.status = 'closed';
    clearInterval(this.watchdog);
    this.socket?.destroy();
  }

  private enqueue(commands: string[][]): Promise<RespReply[]> {
    let resp = '';
    for (const c of commands) resp += respCommand(...c);
    this.out += resp;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ left: commands.length, replies: [], sentAt: Date.now(), resolve, reject });
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const out = this.out;
    this.out = '';
    if (out && this.socket && !this.socket.destroyed) this.socket.write(out);
  }

  private async connect(): Promise<void> {
    let socket: net.Socket;
    try {
      socket = await openRedisSocket(this.url, this.opts.connectTimeoutMs ?? 5000);
    } catch (err) {
      this.opts.onConnectionError?.(err as Error);
      this.scheduleReconnect();
      return;
    }
    if (this.status === 'closed') {
      socket.destroy();
      return;
    }
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => (this.dropReason ??= err));
    socket.on('close', () => this.onClose());
    const handshake = connectionCommands(this.url);
    if (handshake.length) {
      const replies = await this.enqueue(handshake).catch((err: Error) => [err]);
      const failed = replies.find((r) => r instanceof Error);
      if (failed) {
        this.opts.onConnectionError?.(failed as Error);
        socket.destroy();
        return;
      }
    }
    if (this.socket !== socket || socket.destroyed) return;
    this.status = 'ready';
    this.attempts = 0;
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private scheduleReconnect(): void {
    if (this.status === 'closed') return;
    this.attempts += 1;
    setTimeout(() => void this.connect(), Math.min(50 * this.attempts, 1000)).unref();
  }

  private onClose(): void {
    const reason = this.dropReason ?? new Error('Connection is closed');
    this.dropReason = undefined;
    this.socket = undefined;
    this.tail = undefined;
    this.out = '';
    const pending = this.pending.slice(this.head);
    this.pending = [];
    this.head = 0;
    for (const p of pending) p.reject(reason);
    if (this.status === 'closed') return;
    this.status = 'connecting';
    this.opts.onConnectionError?.(reason);
    this.scheduleReconnect();
  }

  private checkTimeouts(): void {
    const oldest = this.pending[this.head];
    if (oldest && Date.now() - oldest.sentAt > this.commandTimeoutMs && this.socket) {
      this.dropReason = new Error(`Redis command timed out after ${this.commandTimeoutMs} ms`);
      this.socket.destroy();
    }
  }

  private onData(chunk: Buffer): void {
    const buf = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    let pos = 0;
    while (pos < buf.length) {
      const p = this.pending[this.head];
      if (!p) {
        this.dropReason = new Error('Redis sent a reply nobody asked for');
        this.socket?.destroy();
        return;
      }
      let reply: ReturnType<typeof parseReply>;
      try {
        reply = parseReply(buf, pos);
      } catch (err) {
        this.dropReason = err as Error;
        this.socket?.destroy();
        return;
      }
      if (!reply) break;
      pos = reply.end;
      p.replies.push(reply.value);
      if (--p.left === 0) {
        this.head += 1;
        p.resolve(p.replies);
      }
    }
    this.tail = pos < buf.length ? buf.subarray(pos) : undefined;
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
  }
}
