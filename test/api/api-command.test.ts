// `daybreak api` as a process: refuses to start without tokens (one clear line, exit 2), serves,
// and on SIGTERM closes (Fastify drains open requests) and exits 0 (also with --processes 2).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../../devstack/dev-server.js';
import { startLocalRedis, type LocalRedis } from '../../devstack/redis-server.js';

let redis: LocalRedis;
const children: ChildProcess[] = [];
beforeAll(async () => {
  redis = await startLocalRedis();
});
afterAll(async () => {
  // A failed assertion must not leave an API (and its cluster workers) running.
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await redis?.stop();
});

function daybreak(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.resolve('bin/daybreak.js'), ...args], {
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      DAYBREAK_API_TOKENS: '',
      DAYBREAK_API_TOKENS_FILE: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so cleanup reaches forked cluster workers too.
    detached: true,
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

test('without tokens: one line naming the variables, exit 2', async () => {
  const run = daybreak(['api'], { API_PORT: String(await freePort()) });
  expect(await run.exited).toBe(2);
  expect(run.stderr()).toMatch(/DAYBREAK_API_TOKENS or DAYBREAK_API_TOKENS_FILE/);
  expect(run.stderr()).not.toMatch(/\n\s+at /);
});

test.each([1, 2])('serves, then SIGTERM drains and exits 0 (%i process(es))', async (processes) => {
  const port = await freePort();
  const run = daybreak(['api', '--processes', String(processes)], {
    API_PORT: String(port),
    DAYBREAK_API_TOKENS: 'cli-test-token-0123456789',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUp(url);
  // Nothing is synced: once its Redis connection is up the API answers 503 no_version.
  let body: unknown;
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${url}/v1/c000000001/customer`, {
      headers: { authorization: 'Bearer cli-test-token-0123456789' },
    });
    expect(res.status).toBe(503);
    body = await res.json();
    if ((body as { error: string }).error === 'no_version') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(body).toMatchObject({ error: 'no_version' });
  // The container probe of docker-compose.yml answers healthy.
  const probe = spawn(process.execPath, [path.resolve('bin/healthcheck.js'), '--target', 'api'], {
    env: { ...process.env, API_PORT: String(port) },
    stdio: 'ignore',
  });
  expect(await new Promise((resolve) => probe.once('exit', resolve))).toBe(0);
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
  expect(run.stderr()).toMatch(/feature API stopped/);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});
