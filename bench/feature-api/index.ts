// bench:feature-api: the online API (`daybreak api` in its own process) under autocannon at 64
// connections: single lookups of random existing customers against the HTTP ceiling of the same
// processes in the same run (GET /healthz: no auth, no Redis), a batch-of-100 run, and single
// lookups while an incremental sync loads and switches, and while a full switch removes the
// previous versions (latency percentiles over exactly those windows; a run lasts until 1 s after
// its window ends); the same two windows again at a fixed rate below saturation (half the single
// lookups' req/s, ./open-loop.ts) beside a reference run at that rate with nothing else running.
// The syncs of the windows run in a child process (./sync-child.ts), as on a worker;
// `redis-benchmark` GET on the same Redis for reference. Feeds BENCHMARKS.md section "Feature
// store: online API".
//   npm run bench:feature-api -- [--entities 5000000] [--seconds 10] [--processes 1]
// BENCH_API_ARGS adds node flags to the API process, e.g. a CPU profile of it:
//   BENCH_API_ARGS="--cpu-prof --cpu-prof-dir=/tmp/api-prof" npm run bench:feature-api -- --entities 300000
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { CLEANUP_PACING, loadShard, planLoad, publishVersion } from '../../activities/feature-sync/steps.js';
import type {
  ComputedView,
  LoadPlan,
  PublishedView,
  ShardLoad,
} from '../../activities/feature-sync/types.js';
import { loadConfig } from '../../lib/config.js';
import { freePort } from '../../devstack/dev-server.js';
import { startLocalRedis } from '../../devstack/redis-server.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';
import { benchEntityId, writeCustomerEntities } from '../feature-sync/entities.js';
import { machineNote, writeBenchmarkSection } from '../feature-sync/report.js';
import { openLoop } from './open-loop.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ENTITIES = arg('entities', 5_000_000);
const SECONDS = arg('seconds', 10);
const PROCESSES = arg('processes', 1); // the API's own default
const TOKEN = 'bench-token-0123456789abcdef';
const AS_OF = '2025-07-01T00:00:00.000Z';
const SHARDS = Math.max(1, Math.ceil(ENTITIES / 2_000_000));
/** The fixed-rate runs' load: this share of the single lookups' saturated req/s. */
const FIXED_RATE_SHARE = 0.5;
/** The issue's target for API p99 while a version is removed. */
const TARGET_P99_MS = 5;

const note = machineNote();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-feature-api-'));
const config = loadConfig({ ...process.env, DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch') });
const redis = await startLocalRedis();
const view = FEATURE_VIEWS.customer!;
let api: ReturnType<typeof spawn> | undefined;

/** Offline-like input of a version made from one entities file (no manifest: planned by hand). */
const computedOf = (file: string, i: number): ComputedView => ({
  view: 'customer',
  offline: `bench-${i}`,
  files: [file],
  rows: ENTITIES,
  invalidKeys: 0,
  fingerprint: `bench-${i}`,
});
const loadAll = async (plan: LoadPlan, files: string[]): Promise<ShardLoad[]> => {
  const loads: ShardLoad[] = [];
  for (let shard = 0; shard < plan.shards; shard++)
    loads.push(await loadShard(config, { view, plan, files, shard, redisUrl: redis.url }));
  return loads;
};
const publish = async (plan: LoadPlan, computed: ComputedView, loads: ShardLoad[]) => {
  const outcome = await publishVersion(config, { view, plan, computed, loads, redisUrl: redis.url });
  if ('incomplete' in outcome) throw new Error(`version ${plan.version} incomplete`);
  return outcome as PublishedView;
};

try {
  console.log(`writing and loading ${ENTITIES} customer-shaped entities ...`);
  const files = ['base', 'changed', 'second'].map((n) => path.join(dir, `${n}.parquet`));
  await writeCustomerEntities(files[0]!, ENTITIES, { scratchDir: config.DAYBREAK_SCRATCH_DIR });
  await writeCustomerEntities(files[1]!, ENTITIES, {
    scratchDir: config.DAYBREAK_SCRATCH_DIR,
    variant: 1,
    changeEvery: 100,
  });
  await writeCustomerEntities(files[2]!, ENTITIES, {
    scratchDir: config.DAYBREAK_SCRATCH_DIR,
    variant: 2,
    changeEvery: 1,
  });
  const plan = (i: number, tag = i) =>
    planLoad({
      view,
      computed: computedOf(files[i]!, tag),
      mode: 'full',
      redisUrl: redis.url,
      asOf: AS_OF,
      shards: SHARDS,
    });
  const base = await plan(0);
  await publish(base, computedOf(files[0]!, 0), await loadAll(base, [files[0]!]));

  const port = await freePort();
  const nodeArgs = process.env.BENCH_API_ARGS?.split(' ').filter((a) => a !== '') ?? [];
  api = spawn(
    process.execPath,
    [...nodeArgs, path.resolve('bin/daybreak.js'), 'api', '--processes', String(PROCESSES)],
    {
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        API_PORT: String(port),
        API_HOST: '127.0.0.1',
        DAYBREAK_API_TOKENS: TOKEN,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
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
  const check = await fetch(`${url}/v1/${benchEntityId(0)}/customer`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  if (check.status !== 200) throw new Error(`lookup of ${benchEntityId(0)} answered ${check.status}`);

  /** The API process's CPU seconds (its own /metrics; one process when --processes 1). */
  const apiCpu = async () =>
    Number(
      /^daybreak_api_process_cpu_seconds_total (\S+)$/m.exec(
        await (await fetch(`${url}/metrics`)).text(),
      )?.[1],
    );

  const pct = (xs: number[], q: number) => {
    const sorted = Float64Array.from(xs).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const stats = new Redis(redis.url);
  /** Calls and Redis's own time (ms, INFO commandstats) of a command since the last reset. */
  const commandStats = async (cmd: string) => {
    const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+),usec=(\\d+)`).exec(await stats.info('commandstats'));
    return { calls: Number(m?.[1] ?? 0), ms: Number(m?.[2] ?? 0) / 1000 };
  };
  interface SyncResult {
    published: PublishedView;
    written: number;
    unlink: { calls: number; ms: number };
    evals: { calls: number; ms: number };
  }
  /**
   * Starts a child process that will load (unless `loads` are given) and publish `p`
   * (./sync-child.ts); the returned function runs it and resolves with what it did.
   */
  const syncInChild = async (p: LoadPlan, computed: ComputedView, files: string[], loads?: ShardLoad[]) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.resolve('bench/feature-api/sync-child.ts'),
        JSON.stringify({
          scratchDir: config.DAYBREAK_SCRATCH_DIR,
          redisUrl: redis.url,
          plan: p,
          computed,
          files,
          loads,
        }),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    if ((await lines.next()).value !== 'ready') throw new Error('the sync child did not start');
    return async (): Promise<SyncResult> => {
      await stats.config('RESETSTAT');
      child.stdin!.write('go\n');
      const line = (await lines.next()).value as string | undefined;
      if (!line) throw new Error('the sync child exited without an outcome');
      const { outcome, written } = JSON.parse(line) as { outcome: PublishedView; written: number };
      if ('incomplete' in outcome) throw new Error(`version ${p.version} incomplete`);
      return {
        published: outcome,
        written,
        unlink: await commandStats('unlink'),
        evals: await commandStats('eval'),
      };
    };
  };

  let seed = 1;
  const randomId = () => benchEntityId((seed = (seed * 48271) % 2147483647) % ENTITIES);
  interface Run {
    rps: number;
    total: number;
    non2xx: number;
    errors: number;
    p50: number;
    p99: number;
    p999: number;
    wholeMsP99: number;
    cpuUsPerRequest: number;
    window?: { p99: number; ms: number; requests: number };
  }
  const run = async (opts: {
    path: () => string;
    method: 'GET' | 'POST';
    body?: () => string;
    /** Started 1 s into the run; latencies of responses completed while it runs are reported apart. */
    during?: () => Promise<unknown>;
  }): Promise<Run> => {
    // autocannon's own percentiles are whole milliseconds: keep every 2xx latency (hrtime-based
    // ms with decimals) with its completion time, to report exact percentiles and windows.
    const latencies: number[] = [];
    const at: number[] = [];
    let window: [number, number] | undefined;
    let duringDone: Promise<unknown> = Promise.resolve();
    const cpu0 = await apiCpu();
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url,
          connections: 64,
          // With a `during`: until 1 s after it ends (at least SECONDS), so its window is all under load.
          duration: opts.during ? SECONDS + 3600 : SECONDS,
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
        if (status >= 200 && status < 300) {
          latencies.push(ms);
          at.push(performance.now());
        }
      });
      if (opts.during) {
        const during = opts.during;
        const t0 = performance.now();
        setTimeout(() => {
          const start = performance.now();
          duringDone = during().then(() => (window = [start, performance.now()]));
          const end = () =>
            setTimeout(() => instance.stop(), Math.max(1000, t0 + SECONDS * 1000 - performance.now()));
          duringDone.then(end, end);
        }, 1000);
      }
    });
    await duringDone;
    const cpu = (await apiCpu()) - cpu0;
    const inWindow = window ? latencies.filter((_, i) => at[i]! >= window![0] && at[i]! <= window![1]) : [];
    return {
      rps: result.requests.average,
      total: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      p50: pct(latencies, 0.5),
      p99: pct(latencies, 0.99),
      p999: pct(latencies, 0.999),
      wholeMsP99: result.latency.p99,
      cpuUsPerRequest: (cpu * 1e6) / result.requests.total,
      window: window && { p99: pct(inWindow, 0.99), ms: window[1] - window[0], requests: inWindow.length },
    };
  };
  const single = { method: 'GET' as const, path: () => `/v1/${randomId()}/customer` };
  await run(single); // warm-up (JIT, connections)
  const lookups = await run(single);
  const health = await run({ method: 'GET', path: () => '/healthz' });
  const batch = await run({
    method: 'POST',
    path: () => '/v1/batch/customer',
    body: () => JSON.stringify({ ids: Array.from({ length: 100 }, randomId) }),
  });

  // An incremental sync: 1% of the entities changed, loaded into a layer on top and switched.
  /** A layer of the changed entities on top of `on` (the files' first day is the previous one). */
  const incrementalOn = (on: LoadPlan, allocated: LoadPlan): LoadPlan => ({
    ...allocated,
    mode: 'incremental',
    buckets: on.buckets,
    layers: [allocated.version, on.version],
    baseWrittenAt: on.baseWrittenAt,
    previousFiles: [files[0]!],
  });
  const incremental = incrementalOn(base, await plan(1));
  let incrementalWritten = 0;
  const incrementalSync = await syncInChild(incremental, computedOf(files[1]!, 1), [files[1]!]);
  const duringIncremental = await run({
    ...single,
    during: async () => (incrementalWritten = (await incrementalSync()).written),
  });

  // A full version loaded beforehand; its switch removes the base (ENTITIES) and the layer.
  const second = await plan(2);
  const secondLoads = await loadAll(second, [files[2]!]);
  let removed: SyncResult | undefined;
  const removal = await syncInChild(second, computedOf(files[2]!, 2), [files[2]!], secondLoads);
  const duringRemoval = await run({ ...single, during: async () => (removed = await removal()) });

  // The same two windows at a fixed rate below saturation (open loop), then a reference run at
  // that rate and of their length with nothing else running.
  const rate = Math.round(lookups.rps * FIXED_RATE_SHARE);
  interface Fixed {
    ms: number;
    responses: number;
    non2xx: number;
    errors: number;
    p99: number;
    p99Due: number;
    window?: { ms: number; requests: number; p99: number; p99Due: number };
  }
  const fixed = async (durationMs: number, during?: () => Promise<unknown>): Promise<Fixed> => {
    let window: [number, number] | undefined;
    const duringDone = during
      ? sleep(1000).then(async () => {
          const start = performance.now();
          await during();
          window = [start, performance.now()];
        })
      : Promise.resolve();
    const r = await openLoop({
      port,
      connections: 64,
      rate,
      path: single.path,
      headers: { authorization: `Bearer ${TOKEN}` },
      until: during ? duringDone.then(() => sleep(1000)) : duringDone,
      durationMs,
    });
    const inWindow = (xs: number[]) =>
      window ? xs.filter((_, i) => r.at[i]! >= window![0] && r.at[i]! <= window![1]) : [];
    return {
      ms: r.ms,
      responses: r.fromWrite.length,
      non2xx: r.non2xx,
      errors: r.errors,
      p99: pct(r.fromWrite, 0.99),
      p99Due: pct(r.fromDue, 0.99),
      window: window && {
        ms: window[1] - window[0],
        requests: inWindow(r.fromWrite).length,
        p99: pct(inWindow(r.fromWrite), 0.99),
        p99Due: pct(inWindow(r.fromDue), 0.99),
      },
    };
  };
  await fixed(2000); // warm-up of the fixed-rate client
  // An incremental layer on the second version (the same 1% changed entities as above).
  const incremental2 = incrementalOn(second, await plan(1, 3));
  const fixedIncremental = await fixed(
    SECONDS * 1000,
    await syncInChild(incremental2, computedOf(files[1]!, 3), [files[1]!]),
  );
  // A third full version loaded beforehand; its switch removes the second and its layer.
  const third = await plan(0, 4);
  const thirdLoads = await loadAll(third, [files[0]!]);
  let removedFixed: SyncResult | undefined;
  const removalFixed = await syncInChild(third, computedOf(files[0]!, 4), [files[0]!], thirdLoads);
  const fixedRemoval = await fixed(SECONDS * 1000, async () => (removedFixed = await removalFixed()));
  const reference = await fixed(Math.max(fixedIncremental.ms, fixedRemoval.ms));
  stats.disconnect();

  const csv = execFileSync(
    'redis-benchmark',
    [
      '-p',
      String(redis.port),
      '-q',
      '--csv',
      '-t',
      'get',
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

  const ms = (x: number) => x.toFixed(2);
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const row = (name: string, r: Run, extra = '') =>
    `| ${name} | ${extra || n(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.p999)} | ${r.wholeMsP99} | ${r.cpuUsPerRequest.toFixed(1)} | ${r.non2xx} / ${r.errors} |`;
  const rpsRatio = lookups.rps / health.rps;
  const p99Ratio = lookups.p99 / health.p99;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met on this run');
  const p = CLEANUP_PACING;
  const removalLabel = (r: typeof removed) =>
    `removal of versions ${r?.published.removedVersions?.join(', ')} (${n(ENTITIES)} entities + a layer; ${n(r?.published.deletedKeys ?? 0)} keys) through the index, paced (UNLINKs of ${p.unlinkBatch} keys, count scripts of ${p.countBatch} buckets, each followed by ${p.pauseFactor}x its round trip, at least ${p.minPauseMs} ms); Redis's own time (commandstats) in ${r?.unlink.calls} UNLINKs ${n(r?.unlink.ms ?? NaN)} ms, in ${r?.evals.calls} EVALs (count scripts, switch) ${n(r?.evals.ms ?? NaN)} ms`;
  const fixedRow = (name: string, f: Fixed) =>
    `| ${name} | ${n(f.ms)} ms | ${n(f.responses)} (${n(f.responses / (f.ms / 1000))}) | ${f.window ? `${n(f.window.ms)} ms, ${n(f.window.requests)} responses` : '-'} | ${ms(f.p99)} / ${ms(f.p99Due)} | ${f.non2xx} / ${f.errors} |`;
  const md = `## Feature store: online API (bench:feature-api)

Command: \`npm run bench:feature-api -- --entities ${ENTITIES} --seconds ${SECONDS} --processes ${PROCESSES}\`. Machine: ${note}.
The API runs as \`daybreak api --processes ${PROCESSES}\` (node:cluster processes sharing the port); autocannon
runs in the bench process; Redis (devstack's launcher: \`--hash-max-listpack-value 512\`, as docker-compose.yml) holds ${n(ENTITIES)} customers in hash buckets.

| run (64 connections, ${SECONDS} s; a run with a window below: until 1 s after it ends) | req/s | p50 ms | p99 ms | p99.9 ms | autocannon p99 (whole ms) | API CPU us/request | non-2xx / errors |
|---|---|---|---|---|---|---|---|
${row('API `GET /v1/{id}/customer`, random existing ids', lookups, `**${n(lookups.rps)}**`)}
${row('`GET /healthz` (same API processes, no auth, no Redis: the HTTP ceiling)', health)}
${row('API `POST /v1/batch/customer`, 100 ids each', batch, `${n(batch.rps)} (${n(batch.rps * 100)} entities/s)`)}
${row('single lookups while an incremental sync loads and switches', duringIncremental)}
${row('single lookups while a full switch removes the previous versions', duringRemoval)}
| baseline: \`redis-benchmark -t get -c 64 -r ${ENTITIES} -d 80\`, same Redis | ${n(rbRps)} | ${rbP50} | ${rbP99} | - | - | - | - |

Single lookups against the HTTP ceiling: **${rpsRatio.toFixed(2)}x** of /healthz's req/s (target >= 0.7x: ${met(rpsRatio >= 0.7)}),
p99 **${p99Ratio.toFixed(2)}x** of its p99 (target <= 1.3x: ${met(p99Ratio <= 1.3)}).

| while it runs | how long | responses in the window | p99 in the window (ms) | target |
|---|---|---|---|---|
| incremental sync: ${n(incrementalWritten)} changed entities loaded into a layer, count check, switch | ${n(duringIncremental.window?.ms ?? NaN)} ms | ${n(duringIncremental.window?.requests ?? 0)} | ${ms(duringIncremental.window?.p99 ?? NaN)} | <= ${TARGET_P99_MS} ms: ${met((duringIncremental.window?.p99 ?? Infinity) <= TARGET_P99_MS)} |
| full switch: count check, switch, ${removalLabel(removed)} | ${n(duringRemoval.window?.ms ?? NaN)} ms | ${n(duringRemoval.window?.requests ?? 0)} | **${ms(duringRemoval.window?.p99 ?? NaN)}** | <= ${TARGET_P99_MS} ms: ${met((duringRemoval.window?.p99 ?? Infinity) <= TARGET_P99_MS)} |

At a fixed rate below saturation: **${n(rate)} req/s** of single lookups (${FIXED_RATE_SHARE * 100}% of the saturated req/s above), open
loop (\`bench/feature-api/open-loop.ts\`: request i due at start + i / rate, 64 keep-alive connections,
one request in flight on each; autocannon's \`overallRate\` is not used: it sends each connection's
quota for the second back to back, saturating the API for part of every second). The reference
run has nothing else running and lasts as long as the longer of the two runs with a window. In
every window the sync runs in its own process (\`bench/feature-api/sync-child.ts\`, as on a worker),
on the same 2 cores.

| at ${n(rate)} req/s | reference p99 (nothing else running) | p99 in the incremental-sync window | p99 in the removal window | removal window | p99 <= ${TARGET_P99_MS} ms during removal |
|---|---|---|---|---|---|
| from the request's write (as autocannon measures) | ${ms(reference.p99)} | ${ms(fixedIncremental.window?.p99 ?? NaN)} | **${ms(fixedRemoval.window?.p99 ?? NaN)}** | ${n(fixedRemoval.window?.ms ?? NaN)} ms | ${met((fixedRemoval.window?.p99 ?? Infinity) <= TARGET_P99_MS)} |
| from its due time (adds waiting for a free connection or the load generator's event loop) | ${ms(reference.p99Due)} | ${ms(fixedIncremental.window?.p99Due ?? NaN)} | ${ms(fixedRemoval.window?.p99Due ?? NaN)} | | ${met((fixedRemoval.window?.p99Due ?? Infinity) <= TARGET_P99_MS)} |

| fixed-rate run | how long | 2xx responses (req/s) | in the window | p99 of the whole run ms (from write / from due) | non-2xx / errors |
|---|---|---|---|---|---|
${fixedRow('reference: nothing else running', reference)}
${fixedRow(`incremental sync: ${n(incrementalWritten)} changed entities into a layer on the second version, count check, switch`, fixedIncremental)}
${fixedRow(`full switch of a third version: count check, switch, ${removalLabel(removedFixed)}`, fixedRemoval)}

Latencies: every 2xx response's time as autocannon measures it (hrtime, per request), sorted; autocannon's
own histogram keeps whole milliseconds, shown for comparison. API CPU per request: the API process's
\`process_cpu_seconds_total\` over the run / requests (less sensitive to other load on the machine than req/s).`;
  writeBenchmarkSection('feature-api', md);
  console.log(md);
} finally {
  api?.kill('SIGTERM');
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
