// Redis for the sync steps: a client that fails fast (no offline queue, no reconnect of its own,
// LOADING answered as an error), and a step runner that rides out an outage. A Redis restart, a
// failover or a long LOADING of the dataset is waited for (probing every second, up to
// DAYBREAK_REDIS_WAIT_SECONDS, 5 minutes by default) and the step runs again from its start; every
// step is idempotent for that (issue 14.6). Anything else (a wrong password, OOM, a bug) fails
// the step at once.
import { ApplicationFailure } from '@temporalio/common';
import { Redis } from 'ioredis';
import { ErrorType } from '../../lib/errors.js';
import { RespClient } from '../../lib/features/resp-client.js';

/** A connected ioredis client for one step. */
export async function openRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 5000,
    commandTimeout: 60_000,
  });
  redis.on('error', () => {}); // every failure also rejects the command or connect() that met it
  await redis.connect();
  return redis;
}

export async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const redis = await openRedis(url);
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const OUTAGE_MESSAGE =
  /^(LOADING|TRYAGAIN|MASTERDOWN|READONLY|BUSY)\b|Connection is closed|connection closed|Stream isn't writeable|max retries per request|timed out|ETIMEDOUT|ECONNREFUSED|ECONNRESET|socket hang up/i;

/** A Redis that is down, restarting, loading its data or failing over: worth waiting for. */
export function isRedisOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && OUTAGE_CODES.has(code)) return true;
  return OUTAGE_MESSAGE.test(err.message.replace(/^Redis rejected a bulk-load command: /, ''));
}

/** Why Redis does not serve commands right now, or undefined when it answers PING. */
export async function redisProblem(url: string): Promise<string | undefined> {
  let lastError: Error | undefined;
  const client = new RespClient(url, {
    commandTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    onConnectionError: (err) => (lastError = err),
  });
  try {
    await client.ready(2000).catch((err: Error) => {
      throw lastError ?? err;
    });
    const pong = await client.call('PING');
    return pong === 'PONG' ? undefined : String(pong instanceof Error ? pong.message : pong);
  } catch (err) {
    return (err as Error).message;
  } finally {
    client.close();
  }
}

export interface RedisWaitOptions {
  url: string;
  /** Longest one outage is waited for. */
  waitMs: number;
  /** Told when a wait starts (heartbeat details, logs). */
  onWait?: (cause: string) => void;
  /** Told when Redis answers again. */
  onRecovered?: () => void;
  pollMs?: number;
  /** Stops the waiting (the activity was cancelled: worker shutdown, timeout, run cancelled). */
  signal?: AbortSignal;
  /**
   * Re-runs of the step after outages, at most: a Redis that answers PING but fails every step
   * (a stalled server, a flapping failover) ends the attempt and leaves it to the retry policy.
   */
  maxReruns?: number;
}

export const DEFAULT_MAX_RERUNS = 10;

function redisUnavailable(url: string, waitMs: number, cause: string): ApplicationFailure {
  const { hostname, port } = new URL(url);
  return ApplicationFailure.create({
    type: ErrorType.RedisUnavailable,
    nonRetryable: true,
    message: `Redis at ${hostname}:${port || 6379} did not come back within ${Math.round(waitMs / 1000)} s (DAYBREAK_REDIS_WAIT_SECONDS): ${cause}`,
  });
}

/** `work`, or the signal's reason as soon as it aborts (the work is left to finish on its own). */
function unlessAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs `step`; when it fails because Redis is unavailable, waits until Redis answers PING again
 * (at most `waitMs` per outage) and runs it again from its start (at most `maxReruns` times).
 */
export async function withRedisRecovery<T>(opts: RedisWaitOptions, step: () => Promise<T>): Promise<T> {
  const pollMs = opts.pollMs ?? 1000;
  const maxReruns = opts.maxReruns ?? DEFAULT_MAX_RERUNS;
  for (let rerun = 0; ; rerun++) {
    try {
      return await step();
    } catch (err) {
      if (!isRedisOutage(err) || opts.signal?.aborted) throw err;
      if (rerun >= maxReruns)
        throw ApplicationFailure.create({
          type: ErrorType.RedisUnavailable,
          message: `Redis kept failing the step after ${maxReruns} recoveries: ${(err as Error).message}`,
        });
      const deadline = Date.now() + opts.waitMs;
      let cause = (err as Error).message;
      opts.onWait?.(cause);
      for (;;) {
        await unlessAborted(new Promise((r) => setTimeout(r, pollMs)), opts.signal);
        const problem = await unlessAborted(redisProblem(opts.url), opts.signal);
        if (problem === undefined) break;
        cause = problem;
        if (Date.now() >= deadline) throw redisUnavailable(opts.url, opts.waitMs, cause);
      }
      opts.onRecovered?.();
    }
  }
}
