// bench:feature-api: the online API (`daybreak api` in its own process) under autocannon at 64
// connections, single lookups of random existing customers, side by side with `redis-benchmark`
// GET at 64 connections on the same Redis. Also a batch-of-100 run. Writes BENCHMARKS.md.
//   npm run bench:feature-api -- [--entities 100000] [--seconds 10] [--processes 2]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { generateCustomers } from '../../datagen/customers.js';
import { syncViewInProcess } from '../../activities/feature-sync/steps.js';
import { loadConfig } from '../../lib/config.js';
import { freePort } from '../../devstack/dev-server.js';
import { startLocalRedis } from '../../devstack/redis-server.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';
import { machineNote, writeBenchmarkSection } from '../feature-sync/report.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ENTITIES = arg('entities', 100_000);
const SECONDS = arg('seconds', 10);
const PROCESSES = arg('processes', 1); // the API's own default
const TOKEN = 'bench-token-0123456789abcdef';

const note = machineNote();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-feature-api-'));
const config = loadConfig({ ...process.env, DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch') });
const redis = await startLocalRedis();
let api: ReturnType<typeof spawn> | undefined;
try {
  const gen = await generateCustomers({ records: ENTITIES, seed: 1, out: path.join(dir, 'gen') });
  const view = FEATURE_VIEWS.customer!;
  const synced = await syncViewInProcess(config, {
    view,
    records: gen.recordsDir,
    output: path.join(dir, 'out'),
    runDate: '2025-06-30',
    asOf: '2025-07-01T00:00:00.000Z',
    mode: 'full',
    redisUrl: redis.url,
  });
  const ids = Array.from({ length: synced.entities }, (_, i) => `c${String(i + 1).padStart(9, '0')}`);

  const port = await freePort();
  api = spawn(process.execPath, [path.resolve('bin/daybreak.js'), 'api', '--processes', String(PROCESSES)], {
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      API_PORT: String(port),
      API_HOST: '127.0.0.1',
      DAYBREAK_API_TOKENS: TOKEN,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 200) throw new Error('the API did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const check = await fetch(`${url}/v1/${ids[0]}/customer`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (check.status !== 200) throw new Error(`lookup of ${ids[0]} answered ${check.status}`);

  let seed = 1;
  const randomId = () => ids[(seed = (seed * 48271) % 2147483647) % ids.length]!;
  const run = async (opts: { path: () => string; method: 'GET' | 'POST'; body?: () => string }) => {
    // autocannon's own percentiles are whole milliseconds: keep every 2xx latency (hrtime-based
    // ms with decimals) to report exact percentiles too.
    const latencies: number[] = [];
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url,
          connections: 64,
          duration: SECONDS,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          requests: [
            {
              method: opts.method,
              setupRequest: (req) => ({ ...req, path: opts.path(), body: opts.body?.() }),
            },
          ],
        },
        (err, r) => (err ? reject(err) : resolve(r)),
      );
      instance.on('response', (_client, status, _bytes, ms) => {
        if (status >= 200 && status < 300) latencies.push(ms);
      });
    });
    const sorted = Float64Array.from(latencies).sort();
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return { ...result, exact: { p50: at(0.5), p99: at(0.99), p999: at(0.999) } };
  };
  await run({ method: 'GET', path: () => `/v1/${randomId()}/customer` }); // warm-up (JIT, connections)
  const single = await run({ method: 'GET', path: () => `/v1/${randomId()}/customer` });
  // The HTTP ceiling of this machine right now: the same server answering without auth or Redis.
  const health = await run({ method: 'GET', path: () => '/healthz' });
  const batch = await run({
    method: 'POST',
    path: () => '/v1/batch/customer',
    body: () => JSON.stringify({ ids: Array.from({ length: 100 }, randomId) }),
  });

  const csv = execFileSync(
    'redis-benchmark',
    [
      '-p',
      String(redis.port),
      '-q',
      '--csv',
      '-t',
      'set,get',
      '-c',
      '64',
      '-n',
      String(20_000 * SECONDS),
      '-r',
      String(ENTITIES),
      '-d',
      '80',
    ],
    { encoding: 'utf8' },
  );
  const get = csv
    .trim()
    .split('\n')
    .map((l) => l.split(',').map((c) => c.replaceAll('"', '')))
    .find((c) => c[0] === 'GET')!;
  const [rbRps, rbP50, rbP99] = [Number(get[1]), Number(get[4]), Number(get[6])];

  const rps = single.requests.average;
  const ms = (x: number) => x.toFixed(2);
  const ok = single.non2xx === 0 && single.errors === 0;
  const md = `## Feature store: online API (bench:feature-api)

Command: \`npm run bench:feature-api -- --entities ${ENTITIES} --seconds ${SECONDS} --processes ${PROCESSES}\`. Machine: ${note}.
The API runs as \`daybreak api --processes ${PROCESSES}\` (node:cluster processes sharing the port); autocannon
runs in the bench process; Redis holds ${synced.entities.toLocaleString('en-US')} customers.

| run (64 connections, ${SECONDS} s) | req/s | p50 ms | p99 ms | p99.9 ms | autocannon p99 (whole ms) | non-2xx / errors |
|---|---|---|---|---|---|---|
| API \`GET /v1/{id}/customer\`, random existing ids | **${Math.round(rps).toLocaleString('en-US')}** | ${ms(single.exact.p50)} | **${ms(single.exact.p99)}** | ${ms(single.exact.p999)} | ${single.latency.p99} | ${single.non2xx} / ${single.errors} |
| API \`POST /v1/batch/customer\`, 100 ids each | ${Math.round(batch.requests.average).toLocaleString('en-US')} (${Math.round(batch.requests.average * 100).toLocaleString('en-US')} entities/s) | ${ms(batch.exact.p50)} | ${ms(batch.exact.p99)} | ${ms(batch.exact.p999)} | ${batch.latency.p99} | ${batch.non2xx} / ${batch.errors} |
| \`GET /healthz\` (same API processes, no auth, no Redis: the HTTP ceiling) | ${Math.round(health.requests.average).toLocaleString('en-US')} | ${ms(health.exact.p50)} | ${ms(health.exact.p99)} | ${ms(health.exact.p999)} | ${health.latency.p99} | ${health.non2xx} / ${health.errors} |
| baseline: \`redis-benchmark -t get -c 64 -r ${ENTITIES} -d 80\`, same Redis | ${Math.round(rbRps).toLocaleString('en-US')} | ${rbP50} | ${rbP99} | - | - | - |

Latencies: every 2xx response's time as autocannon measures it (hrtime, per request), sorted; autocannon's
own histogram keeps whole milliseconds, shown for comparison. Ratio API / redis-benchmark GET:
${(rps / rbRps).toFixed(2)}. Target >= 20,000 req/s with p99 < 5 ms:
${rps >= 20_000 && single.exact.p99 < 5 && single.latency.p99 < 5 && ok ? 'met' : 'NOT met on this run'}.`;
  writeBenchmarkSection('feature-api', md);
  console.log(md);
} finally {
  api?.kill('SIGTERM');
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
