// `daybreak healthcheck` and its light entry bin/healthcheck.js, the image's HEALTHCHECK: exit 0 only when this container's endpoint
// answers 2xx, on the port the config names. Probed against a real local HTTP server.
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../../devstack/dev-server.js';
import { REPO_ROOT } from '../helpers/compose.js';

const run = promisify(execFile);
let server: http.Server;
let port: number;
let status = 200;
const paths: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** The container probe's light entry (bin/healthcheck.js) or the full CLI's subcommand. */
async function healthcheck(args: string[], env: Record<string, string>, entry: 'light' | 'cli' = 'light') {
  const argv = entry === 'light' ? ['bin/healthcheck.js'] : ['bin/daybreak.js', 'healthcheck'];
  return run(process.execPath, [path.join(REPO_ROOT, argv[0]!), ...argv.slice(1), ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
  );
}

test('metrics target: 2xx on METRICS_PORT/metrics is healthy, 5xx is not', async () => {
  status = 200;
  expect(await healthcheck([], { METRICS_PORT: String(port) })).toEqual({ code: 0, stderr: '' });
  expect(paths.at(-1)).toBe('/metrics');
  status = 503;
  const sick = await healthcheck([], { METRICS_PORT: String(port) });
  expect(sick.code).toBe(1);
  expect(sick.stderr).toContain(`http://127.0.0.1:${port}/metrics answered 503`);
});

test('`daybreak healthcheck` in the full CLI behaves the same', async () => {
  status = 200;
  expect((await healthcheck([], { METRICS_PORT: String(port) }, 'cli')).code).toBe(0);
  status = 500;
  expect((await healthcheck([], { METRICS_PORT: String(port) }, 'cli')).code).toBe(1);
});

test('api target probes API_PORT/healthz', async () => {
  status = 200;
  expect((await healthcheck(['--target', 'api'], { API_PORT: String(port), METRICS_PORT: '1' })).code).toBe(
    0,
  );
  expect(paths.at(-1)).toBe('/healthz');
});

test('nothing listening is unhealthy', async () => {
  const closed = await freePort();
  const res = await healthcheck([], { METRICS_PORT: String(closed) });
  expect(res.code).toBe(1);
  expect(res.stderr).toContain(`http://127.0.0.1:${closed}/metrics failed`);
});
