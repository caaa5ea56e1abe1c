// bench:feature-sync: entities/s loaded into Redis by the feature-sync load step (DuckDB-generated
// RESP piped to the socket) for 1M customer entities, side by side with `redis-benchmark -P` SET
// on the same Redis with values of the same size; and the view computation over generated
// customer records (the generator is slow on a shared machine, so the load uses 1M entity rows
// shaped like the customer view's offline Parquet). Writes figures to BENCHMARKS.md.
//   npm run bench:feature-sync -- [--entities 1000000] [--records 200000]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateCustomers } from '../../datagen/customers.js';
import { computeView, loadShard, planLoad, publishVersion } from '../../activities/feature-sync/steps.js';
import { loadConfig } from '../../lib/config.js';
import { startLocalRedis } from '../../devstack/redis-server.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';
import { machineNote, writeBenchmarkSection } from './report.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ENTITIES = arg('entities', 1_000_000);
const RECORDS = arg('records', 200_000);
const AS_OF = '2025-07-01T00:00:00.000Z';

const note = machineNote();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-feature-sync-'));
const config = loadConfig({ ...process.env, DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch') });
const redis = await startLocalRedis();
const client = new Redis(redis.url);
try {
  console.log(`generating ${RECORDS} customer records ...`);
  const gen = await generateCustomers({ records: RECORDS, seed: 1, out: path.join(dir, 'gen') });
  const view = FEATURE_VIEWS.customer!;
  let t = performance.now();
  const computed = await computeView(config, {
    view,
    records: gen.recordsDir,
    output: path.join(dir, 'out', 'customer'),
    runDate: '2025-06-30',
    asOf: AS_OF,
  });
  const computeS = (performance.now() - t) / 1000;
  console.log(`computed ${computed.rows} customer entities in ${computeS.toFixed(1)} s`);

  // ENTITIES rows with the customer view's schema and realistic values, for the load.
  const entitiesFile = path.join(dir, 'entities.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT printf('c%09d', r) AS customer_id, (r % 5 + 1)::BIGINT AS record_count,
      (['crm', 'web', 'pos', 'support'])[1:(r % 3 + 1)::INTEGER] AS sources,
      (['gmail.com', 'yahoo.com', 'work-example.com'])[1:(r % 2 + 1)::INTEGER] AS email_domains,
      (r % 3 + 1)::BIGINT AS address_count, md5(r::VARCHAR)[1:24] AS latest_address_id,
      TIMESTAMP '2023-07-01' + INTERVAL (r * 37 % 31536000) SECOND AS first_seen,
      TIMESTAMP '2024-07-01' + INTERVAL (r * 53 % 31536000) SECOND AS last_seen,
      (r % 700)::BIGINT AS recency_days
    FROM range(${ENTITIES}) t(r)) TO '${entitiesFile}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
  const entities = { ...computed, files: [entitiesFile], rows: ENTITIES };
  const plan = await planLoad({
    view,
    computed: entities,
    mode: 'full',
    redisUrl: redis.url,
    asOf: AS_OF,
    shards: 1,
  });
  const memBefore = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  t = performance.now();
  const load = await loadShard(config, { view, plan, files: entities.files, shard: 0, redisUrl: redis.url });
  const loadS = (performance.now() - t) / 1000;
  await publishVersion({ view, plan, computed: entities, loads: [load], redisUrl: redis.url });
  const memAfter = Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  const ours = load.written / loadS;
  const bytesPerKey = (memAfter - memBefore) / load.written;
  // Average encoded value size, for a like-for-like baseline.
  const sample = await client.scan('0', 'MATCH', 'fs:customer:v*', 'COUNT', 2000);
  const values = (await client.mget(...sample[1])).filter((v): v is string => v !== null);
  const valueBytes = Math.round(values.reduce((s, v) => s + Buffer.byteLength(v), 0) / values.length);
  const json = JSON.stringify(
    Object.fromEntries(view.fields.map((f, i) => [f.name, values[0]!.split('\x1f')[i]])),
  ).length;
  console.log(
    `feature-sync load: ${load.written} entities in ${loadS.toFixed(2)} s = ${Math.round(ours)} entities/s`,
  );

  await client.flushall();
  const bench = (args: string[]) =>
    execFileSync('redis-benchmark', ['-p', String(redis.port), '-q', '--csv', ...args], { encoding: 'utf8' });
  const csv = bench([
    '-t',
    'set',
    '-P',
    '64',
    '-c',
    '4',
    '-n',
    String(ENTITIES),
    '-r',
    String(ENTITIES),
    '-d',
    String(valueBytes),
  ]);
  const baseline = Number(csv.trim().split('\n').pop()!.split(',')[1]!.replaceAll('"', ''));
  console.log(`redis-benchmark SET -P 64: ${Math.round(baseline)} req/s`);

  const md = `## Feature store: Redis load (bench:feature-sync)

Command: \`npm run bench:feature-sync -- --entities ${ENTITIES} --records ${RECORDS}\`. Machine: ${note}.

| what | figure |
|---|---|
| customer-view entities loaded (one shard, one process; rows shaped like the view's Parquet) | ${load.written.toLocaleString('en-US')} |
| feature-sync load step (DuckDB-generated RESP piped to the socket) | **${Math.round(ours).toLocaleString('en-US')} entities/s** (${loadS.toFixed(2)} s) |
| baseline: \`redis-benchmark -t set -P 64 -c 4 -n ${ENTITIES} -r ${ENTITIES} -d ${valueBytes}\` on the same Redis | ${Math.round(baseline).toLocaleString('en-US')} SET/s |
| ratio (ours / redis-benchmark) | ${(ours / baseline).toFixed(2)} |
| target | >= 250,000 entities/s at 1M entities: ${ours >= 250_000 ? 'met' : 'NOT met on this run'} |
| encoded value size (compact, fixed field order) | ${valueBytes} B (the same row as JSON: ${json} B) |
| Redis memory per entity key (used_memory delta / keys, incl. key, TTL, overhead) | ${bytesPerKey.toFixed(0)} B |
| computing the customer view from ${RECORDS.toLocaleString('en-US')} generated records (address standardization, clusters-less, Parquet + manifest) | ${computeS.toFixed(1)} s = ${Math.round(RECORDS / computeS).toLocaleString('en-US')} records/s |

The load step includes the SET ... EX of every key into a fresh version namespace; the pointer
switch and cleanup (publish) are not in the timed part.`;
  writeBenchmarkSection('feature-sync', md);
  console.log(md);
} finally {
  client.disconnect();
  await redis.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
