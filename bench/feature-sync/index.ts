// bench:feature-sync: the online store's memory per entity and load speed, in one run on one
// Redis: the same customer-shaped entities written in the layout of earlier releases (a key per
// entity, the baseline) and in today's hash buckets, each measured with INFO memory; the switch of
// a second version (count check, pointer, removal of the first) timed; `redis-benchmark` SET on the
// same Redis as the write-speed reference; the view computation over generated records.
// Feeds BENCHMARKS.md section "Feature store: Redis load (bench:feature-sync)".
//   npm run bench:feature-sync -- [--entities 5000000] [--records 200000]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { generateCustomers } from '../../datagen/customers.js';
import {
  CLEANUP_PACING,
  computeView,
  countShards,
  loadShard,
  planLoad,
  publishVersion,
} from '../../activities/feature-sync/steps.js';
import type { ComputedView, PublishedView } from '../../activities/feature-sync/types.js';
import { loadConfig } from '../../lib/config.js';
import { bucketKey, entityBucket } from '../../lib/features/keys.js';
import { startLocalRedis } from '../../devstack/redis-server.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';
import { benchEntityId, writeCustomerEntities } from './entities.js';
import { writeLegacyVersion } from './legacy.js';
import { machineNote, writeBenchmarkSection } from './report.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ENTITIES = arg('entities', 5_000_000);
const RECORDS = arg('records', 200_000);
const AS_OF = '2025-07-01T00:00:00.000Z';

const note = machineNote();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-feature-sync-'));
const config = loadConfig({ ...process.env, DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch') });
const redis = await startLocalRedis();
const client = new Redis(redis.url);
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
const seconds = (t0: number) => (performance.now() - t0) / 1000;
try {
  const view = FEATURE_VIEWS.customer!;
  console.log(`generating ${RECORDS} customer records ...`);
  const gen = await generateCustomers({ records: RECORDS, seed: 1, out: path.join(dir, 'gen') });
  let t = performance.now();
  const computed = await computeView(config, {
    view,
    records: gen.recordsDir,
    output: path.join(dir, 'out', 'customer'),
    runDate: '2025-06-30',
    asOf: AS_OF,
  });
  const computeS = seconds(t);
  console.log(`computed ${computed.rows} customer entities in ${computeS.toFixed(1)} s`);

  console.log(`writing ${ENTITIES} customer-shaped entities ...`);
  const files = [1, 2].map((variant) => path.join(dir, `entities-${variant}.parquet`));
  for (const [i, file] of files.entries())
    await writeCustomerEntities(file, ENTITIES, {
      scratchDir: config.DAYBREAK_SCRATCH_DIR,
      variant: i,
      changeEvery: 1,
    });
  const entities = (i: number): ComputedView => ({
    ...computed,
    files: [files[i]!],
    rows: ENTITIES,
    offline: `bench-${i}`,
  });

  // Baseline: the layout of earlier releases.
  let before = await usedMemory();
  t = performance.now();
  await writeLegacyVersion({
    view,
    version: 1,
    files: [files[0]!],
    redisUrl: redis.url,
    scratchDir: config.DAYBREAK_SCRATCH_DIR,
    asOf: AS_OF,
  });
  const legacyS = seconds(t);
  const legacyBytes = ((await usedMemory()) - before) / ENTITIES;
  console.log(
    `legacy layout: ${legacyBytes.toFixed(1)} B/entity, ${Math.round(ENTITIES / legacyS)} entities/s`,
  );
  await client.flushall();

  // Today's layout: hash buckets, one shard in one process.
  const load = async (i: number) => {
    const plan = await planLoad({
      view,
      computed: entities(i),
      mode: 'full',
      redisUrl: redis.url,
      asOf: AS_OF,
      shards: 1,
    });
    const t0 = performance.now();
    const shard = await loadShard(config, { view, plan, files: [files[i]!], shard: 0, redisUrl: redis.url });
    return { plan, shard, loadS: seconds(t0) };
  };
  before = await usedMemory();
  const first = await load(0);
  await publishVersion(config, {
    view,
    plan: first.plan,
    computed: entities(0),
    loads: [first.shard],
    redisUrl: redis.url,
  });
  const bytes = ((await usedMemory()) - before) / ENTITIES;
  const loadRate = first.shard.written / first.loadS;
  const encodings = new Set<string>();
  for (let b = 0; b < first.plan.buckets!; b += Math.ceil(first.plan.buckets! / 200))
    encodings.add(String(await client.object('ENCODING', bucketKey('customer', first.plan.version, b))));
  const sampleValue = await client.hget(
    bucketKey('customer', first.plan.version, 0),
    (await client.hkeys(bucketKey('customer', first.plan.version, 0)))[0]!,
  );
  console.log(
    `hash buckets: ${bytes.toFixed(1)} B/entity, ${Math.round(loadRate)} entities/s (${[...encodings].join(',')})`,
  );

  // A second version: its switch checks the counts and removes the first version.
  const second = await load(1);
  t = performance.now();
  await countShards(client, 'customer', second.plan.version, second.plan.buckets!, 1);
  const countS = seconds(t);
  t = performance.now();
  const published = (await publishVersion(config, {
    view,
    plan: second.plan,
    computed: entities(1),
    loads: [second.shard],
    redisUrl: redis.url,
  })) as PublishedView;
  const publishS = seconds(t);
  const check = await client.hget(
    bucketKey('customer', second.plan.version, entityBucket(benchEntityId(0), second.plan.buckets!)),
    benchEntityId(0),
  );
  if (published.removedVersions?.[0] !== first.plan.version)
    throw new Error('the first version was not removed');
  console.log(
    `second version: count check ${countS.toFixed(2)} s, publish with removal ${publishS.toFixed(2)} s`,
  );

  await client.flushall();
  const csv = execFileSync(
    'redis-benchmark',
    [
      '-p',
      String(redis.port),
      '-q',
      '--csv',
      '-t',
      'set',
      '-P',
      '64',
      '-c',
      '4',
      '-n',
      String(Math.min(ENTITIES, 2_000_000)),
      '-r',
      String(ENTITIES),
      '-d',
      String(Buffer.byteLength(sampleValue ?? '')),
    ],
    { encoding: 'utf8' },
  );
  const baseline = Number(csv.trim().split('\n').pop()!.split(',')[1]!.replaceAll('"', ''));
  const n = (x: number) => Math.round(x).toLocaleString('en-US');

  const md = `## Feature store: Redis load (bench:feature-sync)

Command: \`npm run bench:feature-sync -- --entities ${ENTITIES} --records ${RECORDS}\`. Machine: ${note}.
Redis ${execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).match(/v=(\S+)/)?.[1]} started by devstack's launcher with \`hash-max-listpack-value ${((await client.config('GET', 'hash-max-listpack-value')) as string[])[1]}\` (as docker-compose.yml).

| what | figure |
|---|---|
| customer-shaped entities (one version) | ${n(ENTITIES)} (${first.plan.buckets!.toLocaleString('en-US')} hash buckets, Redis encoding of a 200-bucket sample: ${[...encodings].join(', ')}) |
| **Redis memory per entity, hash buckets** (INFO used_memory delta / entities) | **${bytes.toFixed(1)} B** |
| Redis memory per entity, a key per entity (earlier releases; same entities, same run) | ${legacyBytes.toFixed(1)} B |
| ratio (target <= 0.5) | **${(bytes / legacyBytes).toFixed(2)}** |
| 300 M entities at that rate | ${((bytes * 300e6) / 2 ** 30).toFixed(1)} GiB (key per entity: ${((legacyBytes * 300e6) / 2 ** 30).toFixed(1)} GiB) |
| load step, hash buckets (DuckDB-made RESP HSETs piped to the socket; one shard, one process) | **${n(loadRate)} entities/s** (${first.loadS.toFixed(1)} s) |
| load, a key per entity (same data) | ${n(ENTITIES / legacyS)} entities/s |
| reference: \`redis-benchmark -t set -P 64 -c 4 -d ${Buffer.byteLength(sampleValue ?? '')}\` on the same Redis | ${n(baseline)} SET/s |
| count check of a version (HLEN of every bucket, in paced scripts of ${CLEANUP_PACING.countBatch}) | ${countS.toFixed(2)} s |
| publish of a second version: count check, switch, paced removal of the first (${n(ENTITIES)} entities, ${first.plan.buckets!.toLocaleString('en-US')} keys, through the index) | ${publishS.toFixed(2)} s |
| encoded value (compact, fixed field order) | ${Buffer.byteLength(sampleValue ?? '')} B, e.g. \`${JSON.stringify(sampleValue).slice(1, -1)}\`; first entity after the switch: ${check === null ? 'MISSING' : 'present'} |
| computing the customer view from ${n(RECORDS)} generated records (address standardization, no clusters, Parquet + manifest) | ${computeS.toFixed(1)} s = ${n(RECORDS / computeS)} records/s |

Memory is measured after the version is published (pointer, index and marker included); both layouts
hold the same entities with the same TTL. The load step is the \`loadFeatureShard\` activity's work.`;
  writeBenchmarkSection('feature-sync', md);
  console.log(md);
} finally {
  client.disconnect();
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
