// The log of one activity attempt, kept in memory and written whole to storage (local disk or
// gs://: object stores cannot append) at most every couple of seconds while it changes, and once
// more when the attempt ends. Every line is redacted before it is kept, so raw PII never reaches
// storage. Best effort by design: a failed write is counted and the activity goes on.
import { attemptLogWriteFailures, pipelineLabel } from '../metrics.js';
import { redact } from '../redact.js';
import { storageFor } from '../storage/index.js';
import type { AttemptEnd, AttemptHeader, AttemptStatus, LogLine } from './records.js';

/** Attributes the SDK adds to every activity log entry: the header says them once. */
const CONTEXT_ATTRIBUTES = new Set([
  'isLocal',
  'attempt',
  'namespace',
  'taskToken',
  'activityId',
  'activityType',
  'taskQueue',
  'workflowId',
  'workflowRunId',
  'workflowType',
  'activityRunId',
  'sdkComponent',
]);

const MESSAGE_LIMIT = 4_000;
const META_LIMIT = 4_000;
const MAX_DEPTH = 4;

/** A JSON-safe copy of a log attribute with every string redacted (errors as `Name: message`). */
function clean(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value, MESSAGE_LIMIT);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return redact(`${value.name}: ${value.message}`, MESSAGE_LIMIT);
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return redact(String(value), MESSAGE_LIMIT);
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v, depth + 1)]));
  return value === undefined ? undefined : redact(String(value), MESSAGE_LIMIT);
}

function cleanMeta(meta: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!meta) return undefined;
  const own = Object.entries(meta).filter(([k, v]) => !CONTEXT_ATTRIBUTES.has(k) && v !== undefined);
  if (!own.length) return undefined;
  const cleaned = clean(Object.fromEntries(own)) as Record<string, unknown>;
  const json = JSON.stringify(cleaned);
  // A huge attribute (a whole resume state) is cut, never dropped silently.
  return json.length > META_LIMIT ? { truncated: `${json.slice(0, META_LIMIT - 1)}…` } : cleaned;
}

export interface AttemptLogOptions {
  /** Longest a new line waits before it is written (default 2 s). */
  flushEveryMs?: number;
  /** Lines kept from the start of the attempt (default 1000). */
  headLines?: number;
  /** Lines kept from its end (default 4000); those in between are counted and left out. */
  tailLines?: number;
}

export class AttemptLog {
  private readonly head: LogLine[] = [];
  private tail: LogLine[] = [];
  private omitted = 0;
  private count = 0;
  private end?: AttemptEnd;
  private dirty = true;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private readonly startedMs = Date.now();
  private readonly headLines: number;
  private readonly tailLines: number;

  constructor(
    readonly uri: string,
    private readonly header: AttemptHeader,
    private readonly options: AttemptLogOptions = {},
  ) {
    this.headLines = options.headLines ?? 1_000;
    this.tailLines = options.tailLines ?? 4_000;
  }

  /**
   * Writes every few seconds while lines come (the first write, with the header, after the first
   * interval: a short attempt is written once, when it ends).
   */
  start(): void {
    this.timer = setInterval(() => {
      if (this.dirty) void this.flush();
    }, this.options.flushEveryMs ?? 2_000);
    this.timer.unref();
  }

  add(level: string, message: string, meta?: Record<string, unknown>, at: Date = new Date()): void {
    if (this.end) return;
    const line: LogLine = {
      kind: 'line',
      n: ++this.count,
      ts: at.toISOString(),
      level,
      message: redact(message, MESSAGE_LIMIT),
    };
    const cleaned = cleanMeta(meta);
    if (cleaned) line.meta = cleaned;
    if (this.head.length < this.headLines) this.head.push(line);
    else {
      this.tail.push(line);
      // Trimmed in batches, so a chatty attempt does not copy the tail on every line.
      if (this.tail.length > this.tailLines * 1.25) {
        const drop = this.tail.length - this.tailLines;
        this.omitted += drop;
        this.tail = this.tail.slice(drop);
      }
    }
    this.dirty = true;
  }

  /** The end record, then the last write; resolves when it is written (or failed: counted). */
  async close(status: AttemptStatus, error?: string): Promise<void> {
    if (this.end) return this.writing;
    clearInterval(this.timer);
    this.end = {
      kind: 'end',
      status,
      endedAt: new Date().toISOString(),
      durationMs: Date.now() - this.startedMs,
      ...(error === undefined ? {} : { error: redact(error, MESSAGE_LIMIT) }),
    };
    this.dirty = true;
    return this.flush();
  }

  text(): string {
    let tail = this.tail;
    let omitted = this.omitted;
    if (tail.length > this.tailLines) {
      omitted += tail.length - this.tailLines;
      tail = tail.slice(tail.length - this.tailLines);
    }
    const gap: LogLine[] = omitted
      ? [
          {
            kind: 'line',
            n: (tail[0]?.n ?? 1) - 0.5,
            ts: tail[0]?.ts ?? new Date().toISOString(),
            level: 'WARN',
            message: `... ${omitted} lines left out (an attempt log keeps its first ${this.headLines} and last ${this.tailLines} lines)`,
          },
        ]
      : [];
    const records = [this.header, ...this.head, ...gap, ...tail, ...(this.end ? [this.end] : [])];
    return `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
  }

  /** One write at a time, each of the whole log as it is now. */
  private flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await storageFor(this.uri).writeText(this.uri, this.text());
      } catch {
        attemptLogWriteFailures.inc({ pipeline: pipelineLabel(this.header.pipeline) });
      }
    });
    return this.writing;
  }
}
