// The feature API against a real redis-server: auth, id validation before any Redis call (checked
// with MONITOR: no bad id and no key outside fs:<view>:* ever reaches Redis), batch limits, JSON
// errors without stack traces, metrics, and 503 while Redis is down with recovery after restart.
import http from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { generateCustomers } from '../../datagen/customers.js';
import { syncViewInProcess } from '../../activities/feature-sync/steps.js';
import { loadConfig } from '../../lib/config.js';
import { startLocalRedis, type LocalRedis } from '../../devstack/redis-server.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';
import { startTestApi, TEST_TOKEN, type TestApi } from '../helpers/feature-api.js';
import { readOfflineView } from '../helpers/feature-oracle.js';
import { tempDir } from '../helpers/temporal.js';

let redis: LocalRedis;
let api: TestApi;
let customerIds: string[];
const versions: Record<string, number> = {};
let addressIds: string[];
const monitored: string[][] = [];
let monitor: Redis;
let monitorConn: Redis;
/** Connected before MONITOR starts, so its handshake is not among the monitored commands. */
let markerConn: Redis;

beforeAll(async () => {
  const dir = tempDir('feature-api');
  redis = await startLocalRedis({ extraArgs: ['--dir', dir] });
  const config = loadConfig({
    DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch'),
    DAYBREAK_DUCKDB_THREADS: '1',
  });
  const gen = await generateCustomers({ records: 400, seed: 9, out: path.join(dir, 'gen') });
  for (const view of Object.values(FEATURE_VIEWS)) {
    versions[view.name] = (
      await syncViewInProcess(config, {
        view,
        records: gen.recordsDir,
        output: path.join(dir, 'out', view.name),
        runDate: '2025-06-30',
        asOf: '2025-07-01T00:00:00.000Z',
        mode: 'full',
        redisUrl: redis.url,
      })
    ).version;
  }
  customerIds = [
    ...(await readOfflineView(path.join(dir, 'out', 'customer'), FEATURE_VIEWS.customer!)).keys(),
  ];
  addressIds = [...(await readOfflineView(path.join(dir, 'out', 'address'), FEATURE_VIEWS.address!)).keys()];
  api = await startTestApi(redis.url);
  markerConn = new Redis(redis.url);
  await markerConn.ping();
  // monitor() opens its own connection; the client it is called on never connects (lazyConnect),
  // else its ready-check INFO could reach the monitoring connection before ioredis has switched it
  // to monitor mode ("Command queue state error", seen once in CI).
  monitor = new Redis(redis.url, { lazyConnect: true });
  monitorConn = await monitor.monitor();
  monitor.on('error', () => {});
  monitorConn.on('monitor', (_time: string, args: string[]) => monitored.push(args));
});
/**
 * MONITOR streams commands asynchronously: send a marker on another connection and wait until
 * MONITOR shows it, so every command before it has been seen too.
 */
async function monitorCaughtUp(): Promise<void> {
  const marker = `monitor-marker-${monitored.length}-${Date.now()}`;
  await markerConn.echo(marker);
  await vi.waitFor(() => expect(monitored.some((a) => a[1] === marker)).toBe(true), { timeout: 5000 });
}

afterAll(async () => {
  markerConn?.disconnect();
  monitorConn?.disconnect();
  monitor?.disconnect();
  await api?.close();
  await redis?.stop();
});

function expectJsonError(res: { status: number; body: unknown }, status: number) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+|stack/);
}

describe('auth', () => {
  test('no token, a wrong token, a malformed header: 401; either configured token works', async () => {
    const id = customerIds[0]!;
    expectJsonError(await api.get(`/v1/${id}/customer`, null), 401);
    expectJsonError(await api.get(`/v1/${id}/customer`, 'wrong-token-0123456789abcdef'), 401);
    expectJsonError(await api.get(`/v1/${id}/customer`, `${TEST_TOKEN}x`), 401);
    expectJsonError(await api.get(`/v1/${id}/customer`, TEST_TOKEN.slice(0, -1)), 401);
    expectJsonError(await api.post('/v1/batch/customer', { ids: [id] }, null), 401);
    const bad = await fetch(`${api.url}/v1/${id}/customer`, { headers: { authorization: TEST_TOKEN } });
    expect(bad.status).toBe(401);
    expect((await api.get(`/v1/${id}/customer`)).status).toBe(200);
    expect((await api.get(`/v1/${id}/customer`, 'second-token-abcdefghijklmnop')).status).toBe(200);
  });
});

describe('auth on one keep-alive connection', () => {
  test('a header that passed is remembered for that header only: another one on the same socket is checked', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const get = (authorization?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.get(
          `${api.url}/v1/${customerIds[0]}/customer`,
          { agent, headers: authorization === undefined ? {} : { authorization } },
          (res) => {
            sockets.add(res.socket);
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          },
        );
        req.on('error', reject);
      });
    try {
      expect(await get(`Bearer ${TEST_TOKEN}`)).toBe(200);
      expect(await get()).toBe(401);
      expect(await get(`Bearer ${TEST_TOKEN}x`)).toBe(401);
      expect(await get(`Bearer wrong-token-0123456789abcdef`)).toBe(401);
      expect(await get(`Bearer ${TEST_TOKEN}`)).toBe(200);
      expect(await get('Bearer second-token-abcdefghijklmnop')).toBe(200);
      expect(await get(`Bearer ${TEST_TOKEN.slice(0, -1)}`)).toBe(401);
      expect(await get(`Bearer ${TEST_TOKEN}`)).toBe(200);
      // Every request went over the one socket (a 401 keeps the connection open).
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});

describe('bad input never reaches Redis', () => {
  const badIds = [
    '*',
    'abc*',
    'a:b',
    'fs:customer:current',
    'a%2Fb',
    '..%2F..%2Fetc',
    'a%20b',
    '%20',
    'x'.repeat(10 * 1024),
    'x'.repeat(129),
    encodeURIComponent('café'),
    encodeURIComponent('ид'),
    encodeURIComponent('😀'),
    'a%00b',
    'a%0D%0AFLUSHALL',
  ];

  test('single lookups: 400 for every bad id, 400 for an empty id, 404 for an unknown view or id', async () => {
    await monitorCaughtUp(); // earlier tests' commands are in before we start counting
    const before = monitored.length;
    for (const id of badIds) {
      for (const view of ['customer', 'address']) expectJsonError(await api.get(`/v1/${id}/${view}`), 400);
    }
    expectJsonError(await api.get('/v1//customer'), 400);
    expectJsonError(await api.get(`/v1/${customerIds[0]}/nosuchview`), 404);
    expectJsonError(await api.get('/v1/nosuchid_0000/customer'), 404);
    await monitorCaughtUp();
    // Only the unknown-id lookup reached Redis, as one read of its bucket (and the pointer check).
    const calls = monitored
      .slice(before)
      .filter((a) => ['hget', 'hmget', 'mget', 'evalsha', 'eval'].includes(a[0]!.toLowerCase()));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.slice(2)).toEqual(['nosuchid_0000']);
  });

  test('batch: bad ids, 10,001 ids, a bad body: 400; 1,000 ids: 200', async () => {
    for (const id of badIds) {
      expectJsonError(
        await api.post('/v1/batch/customer', { ids: [customerIds[0], decodeURIComponent(id)] }),
        400,
      );
    }
    expectJsonError(await api.post('/v1/batch/customer', { ids: [''] }), 400);
    expectJsonError(await api.post('/v1/batch/customer', { ids: [42] }), 400);
    expectJsonError(
      await api.post('/v1/batch/customer', { ids: Array.from({ length: 10_001 }, (_, i) => `id${i}`) }),
      400,
    );
    expectJsonError(await api.post('/v1/batch/customer', { ids: [] }), 400);
    expectJsonError(await api.post('/v1/batch/customer', { nope: 1 }), 400);
    const raw = await fetch(`${api.url}/v1/batch/customer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: '{"ids": [',
    });
    expect(raw.status).toBe(400);
    expect(JSON.stringify(await raw.json())).not.toMatch(/stack/);
    expectJsonError(await api.post('/v1/batch/nosuchview', { ids: ['a'] }), 404);
    const ids = Array.from({ length: 1000 }, (_, i) => customerIds[i % customerIds.length]!);
    const ok = await api.post('/v1/batch/customer', { ids });
    expect(ok.status).toBe(200);
    expect(ok.body.results).toHaveLength(1000);
    expect(ok.body.results.every((r: { found: boolean }) => r.found)).toBe(true);
    const mixed = await api.post('/v1/batch/address', { ids: [addressIds[0], 'missing_0'] });
    expect(mixed.body.results.map((r: { found: boolean }) => r.found)).toEqual([true, false]);
  });

  test('MONITOR: no bad id and no key outside fs:<view>:* was ever asked for', async () => {
    await monitorCaughtUp();
    const apiCalls = monitored.filter(
      (a) => !['monitor', 'info', 'client', 'echo', 'ping'].includes(a[0]!.toLowerCase()),
    );
    expect(apiCalls.length).toBeGreaterThan(0);
    // The ids Redis saw: the fields of HGET / HMGET.
    const seenIds = new Set(
      apiCalls.flatMap((a) => (['hget', 'hmget'].includes(a[0]!.toLowerCase()) ? a.slice(2) : [])),
    );
    expect(seenIds.size).toBeGreaterThan(10);
    for (const id of badIds) expect(seenIds.has(decodeURIComponent(id))).toBe(false);
    for (const args of apiCalls) {
      const cmd = args[0]!.toLowerCase();
      if (cmd === 'get') expect(args[1]).toMatch(/^fs:(customer|address):current$/);
      else if (cmd === 'hget' || cmd === 'hmget') {
        expect(args[1]).toMatch(/^fs:(customer|address):v\d+:b\d+$/);
        for (const id of args.slice(2)) expect(id).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
      } else expect.fail(`unexpected Redis command from the API: ${cmd}`);
    }
  });
});

describe('operations', () => {
  test('/healthz, /readyz with versions, /metrics without ids in labels', async () => {
    expect((await api.get('/healthz', null)).body).toEqual({ status: 'ok' });
    const ready = await api.get('/readyz', null);
    expect(ready.status).toBe(200);
    expect(ready.body.views.customer.version).toBe(versions.customer);
    expect(ready.body.views.address.version).toBe(versions.address);
    const metrics = await api.get('/metrics', null);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('daybreak_api_requests_total{route="/v1/:id/customer",status="200"}');
    expect(metrics.body).toContain('daybreak_api_requests_total{route="/v1/:id/customer",status="400"}');
    expect(metrics.body).not.toContain(customerIds[0]);
  });

  test('Redis stopped: 503 JSON and readyz 503; after a restart the API recovers', async () => {
    monitorConn.disconnect(); // a MONITOR connection cannot survive a restart
    const c = new Redis(redis.url);
    await c.save();
    c.disconnect();
    await redis.stop();
    const id = customerIds[1]!;
    expectJsonError(await api.get(`/v1/${id}/customer`), 503);
    expectJsonError(await api.post('/v1/batch/address', { ids: [addressIds[0]] }), 503);
    expect((await api.get('/readyz', null)).status).toBe(503);
    expect((await api.get('/healthz', null)).status).toBe(200);
    await redis.start();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await api.get(`/v1/${id}/customer`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await api.get('/readyz', null)).status).toBe(200);
  });
});
