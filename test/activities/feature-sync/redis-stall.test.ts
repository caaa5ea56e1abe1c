// A Redis that takes commands and never answers, or answers PING but fails every step, must end a
// sync step instead of holding its activity (and the worker's shutdown) forever while the
// heartbeats say all is well. Against a real redis-server: CLIENT PAUSE WRITE stalls the writes.
import type net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { isRedisOutage, withRedisRecovery } from '../../../activities/feature-sync/redis.js';
import { ErrorType } from '../../../lib/errors.js';
import { RespPipe, respCommand } from '../../../lib/features/resp-pipe.js';
import { redisProcess, type RedisProcess } from '../../helpers/redis-process.js';
import { tempDir } from '../../helpers/temporal.js';
import { waitFor } from '../../helpers/wait.js';

let redis: RedisProcess;

beforeAll(async () => {
  redis = await redisProcess({ dir: tempDir('redis-stall'), persistence: false });
  await redis.start();
});
afterAll(async () => {
  await redis?.kill();
});

async function pauseWrites(ms: number): Promise<void> {
  const admin = new Redis(redis.url);
  try {
    await admin.call('CLIENT', 'PAUSE', String(ms), 'WRITE');
  } finally {
    admin.disconnect();
  }
}

test('a bulk load whose server stops answering fails as an outage after the stall time, not never', async () => {
  const pipe = await RespPipe.open(redis.url, { stallMs: 400 });
  try {
    await pipe.write(respCommand('SET', 'stall:a', '1'), 1);
    expect(await pipe.flush()).toBeGreaterThanOrEqual(1); // answered while Redis is well
    await pauseWrites(5_000);
    const t0 = Date.now();
    await pipe.write(respCommand('SET', 'stall:b', '2'), 1);
    await expect(pipe.flush()).rejects.toThrow(/no reply for 400 ms during a bulk load \(timed out\)/);
    expect(Date.now() - t0).toBeLessThan(3_000);
  } finally {
    pipe.close();
  }
});

test('a pipe whose Redis died before its first command fails the next write as an outage, not never', async () => {
  // CI's hang (feature-store-redis-loss): a load shard opened its pipe, Redis was killed before the
  // shard sent anything, and the shard's first big write waited for a 'drain' or 'close' that had
  // already happened: no error, no reply owed, so no watchdog either. (Mutation check: on that old
  // code this fails in most runs, 3 of 4 here; in the others the kernel's reset of the killed
  // server's socket arrives as an 'error', which the old code did handle.)
  const pipe = await RespPipe.open(redis.url, { stallMs: 400 });
  try {
    await redis.kill('SIGKILL');
    // The pipe's socket has seen its close, with nothing owed (the state the shard was in).
    const socket = (pipe as unknown as { socket: net.Socket }).socket;
    await waitFor('the pipe to see its socket close', () => (socket.closed ? true : undefined), 5_000, 20);
    const big = respCommand('SET', 'dead:a', 'x'.repeat(4 << 20)); // more than the socket buffers at once
    const t0 = Date.now();
    const err = await Promise.race([
      pipe.write(big, 1).then(() => pipe.flush()),
      new Promise((r) => setTimeout(() => r('still waiting'), 5_000)),
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(isRedisOutage(err)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3_000);
  } finally {
    pipe.close();
    await redis.start();
  }
});

test('a step that keeps failing while Redis answers PING ends after maxReruns, retryable', async () => {
  let runs = 0;
  const err = await withRedisRecovery(
    { url: redis.url, waitMs: 5_000, pollMs: 10, maxReruns: 3 },
    async () => {
      runs += 1;
      throw new Error('Redis sent no reply for 60 s during a bulk load (timed out)');
    },
  ).catch((e: unknown) => e as Error & { type?: string; nonRetryable?: boolean });
  expect(runs).toBe(4); // the first run and 3 re-runs
  expect(err.type).toBe(ErrorType.RedisUnavailable);
  expect(err.nonRetryable).toBe(false);
  expect(err.message).toMatch(/kept failing the step after 3 recoveries/);
});

test('a cancelled step stops waiting for Redis at once', async () => {
  await redis.kill('SIGKILL');
  try {
    const abort = new AbortController();
    const waiting = withRedisRecovery(
      { url: redis.url, waitMs: 60_000, pollMs: 50, signal: abort.signal },
      async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    );
    setTimeout(() => abort.abort(new Error('activity cancelled')), 200);
    const t0 = Date.now();
    await expect(waiting).rejects.toThrow('activity cancelled');
    expect(Date.now() - t0).toBeLessThan(2_000);
  } finally {
    await redis.start();
  }
});
