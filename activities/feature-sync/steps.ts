// The steps of a feature sync as plain functions (the activities wrap them; benches and fault
// tests call them directly): compute a view to Parquet, plan the load (version, layers, mode),
// load one shard over a raw RESP pipe, publish (atomic pointer switch, then cleanup).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { DuckDBConnection } from '@duckdb/node-api';
import { installAddressMacros } from '../../lib/address/index.js';
import { CURRENT_BUCKET_HASH, plannedBucketHash } from '../../lib/buckets.js';
import type { Config } from '../../lib/config.js';
import { autoShards } from '../../lib/shards.js';
import { sqlFileList, withDuckDB } from '../../lib/duckdb.js';
import { missingInput, superseded } from '../../lib/errors.js';
import { fieldsSignature } from '../../lib/features/encoding.js';
import {
  currentKey,
  formatPointer,
  layerPrefix,
  parsePointer,
  seqKey,
  versionsKey,
  type VersionMeta,
  type Pointer,
} from '../../lib/features/keys.js';
import { RespPipe } from '../../lib/features/resp-pipe.js';
import type { FeatureView } from '../../lib/features/types.js';
import { resolveDataset, joinUri } from '../../lib/storage/index.js';
import {
  beginOutput,
  commitOutput,
  putOutputFile,
  readManifest,
  type Manifest,
} from '../../lib/storage/manifest.js';
import { duckdbOptions } from '../common/deps.js';
import { requireColumns } from '../common/schema.js';
import { copyViewSql, invalidKeysSql, loadRowsSql, respRowsSql, viewTableSql } from './sql.js';
import type { ComputedView, LoadPlan, PublishedView, ShardLoad, SyncMode } from './types.js';
import { withScratch } from '../common/scratch.js';
import { stageAll } from '../common/staging.js';

/** Incremental layers stacked on one full version before the next sync is made full again. */
export const MAX_LAYERS = 4;
/** Entities per load shard when the shard count is automatic. */
export const ENTITIES_PER_SHARD = 2_000_000;

export function redisClient(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
}

async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const redis = redisClient(url);
  try {
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

function manifestFingerprint(m: Manifest): string {
  return createHash('sha256')
    .update(m.files.map((f) => `${f.name}:${f.sha256}`).join('\n'))
    .digest('hex');
}

async function createInputViews(
  conn: DuckDBConnection,
  input: { records: string; clusters?: string },
  scratch: string,
): Promise<{ clusters: boolean }> {
  const records = await resolveDataset(input.records);
  if (records.length === 0) throw missingInput(`no customer record Parquet files found at ${input.records}`);
  const locals = await stageAll(
    records.map((r) => r.uri),
    scratch,
  );
  for (const [i, local] of locals.entries()) {
    await requireColumns(conn, local, records[i]!.uri, {
      record_id: 'text',
      source: 'any',
      email: 'any',
      address_line: 'any',
      city: 'any',
      state: 'any',
      zip: 'any',
      updated_at: 'timestamp',
    });
  }
  await conn.run(`CREATE OR REPLACE VIEW records AS SELECT * FROM read_parquet(${sqlFileList(locals)})`);
  if (!input.clusters) return { clusters: false };
  const clusters = await resolveDataset(input.clusters);
  if (clusters.length === 0) throw missingInput(`no cluster Parquet files found at ${input.clusters}`);
  const clusterLocals = await stageAll(
    clusters.map((c) => c.uri),
    scratch,
  );
  for (const [i, local] of clusterLocals.entries()) {
    await requireColumns(conn, local, clusters[i]!.uri, { record_id: 'text', identity_id: 'any' });
  }
  await conn.run(
    `CREATE OR REPLACE VIEW clusters AS SELECT record_id, CAST(identity_id AS VARCHAR) AS identity_id
     FROM read_parquet(${sqlFileList(clusterLocals)})`,
  );
  return { clusters: true };
}

/** What computing one view's offline output needs. */
export interface ComputeViewInput {
  view: FeatureView;
  records: string;
  clusters?: string;
  output: string;
  runDate: string;
  asOf: string;
}

/** Computes `view` over the records (and clusters) and publishes it under `output` with a manifest. */
export async function computeView(config: Config, input: ComputeViewInput): Promise<ComputedView> {
  return withScratch(config, `fs-compute-${input.view.name}`, (scratch) =>
    withDuckDB(duckdbOptions(config), async (conn) => {
      await installAddressMacros(conn);
      const { clusters } = await createInputViews(conn, input, scratch);
      const asOfSql = `TIMESTAMP '${input.asOf.replace('T', ' ').replace('Z', '')}'`;
      await conn.run(
        viewTableSql(input.view, {
          records: 'records',
          clusters: clusters ? 'clusters' : undefined,
          asOf: asOfSql,
        }),
      );
      const invalidKeys = Number((await conn.runAndReadAll(invalidKeysSql(input.view))).getRows()[0]![0]);
      const outDir = path.join(scratch, 'out');
      await conn.run(copyViewSql(input.view, outDir));
      const names = (await fs.readdir(outDir)).filter((n) => n.endsWith('.parquet')).sort();
      await beginOutput(input.output);
      const files = [];
      for (const name of names) {
        const local = path.join(outDir, name);
        const rows = Number(
          (
            await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${local.replaceAll("'", "''")}')`)
          ).getRows()[0]![0],
        );
        files.push(await putOutputFile(input.output, local, name, rows));
      }
      const manifest = await commitOutput(
        input.output,
        {
          pipeline: 'feature-sync',
          runDate: input.runDate,
          report: {
            clusters: input.clusters ?? null,
            view: input.view.name,
            key: input.view.key,
            asOf: input.asOf,
            invalidKeys,
            fields: fieldsSignature(input.view),
          },
        },
        files,
      );
      return {
        view: input.view.name,
        offline: input.output,
        files: manifest.files.map((f) => joinUri(input.output, f.name)),
        rows: manifest.totals.rows,
        invalidKeys,
        fingerprint: manifestFingerprint(manifest),
        clusters: input.clusters,
      };
    }),
  );
}

async function readVersionMeta(
  redis: Redis,
  view: string,
  version: number,
): Promise<VersionMeta | undefined> {
  const raw = await redis.hget(versionsKey(view), String(version));
  return raw === null ? undefined : (JSON.parse(raw) as VersionMeta);
}

/** Allocates a fresh version and decides full or incremental (with the reason when downgraded). */
export async function planLoad(input: {
  view: FeatureView;
  computed: ComputedView;
  mode: SyncMode;
  redisUrl: string;
  asOf: string;
  shards?: number;
  now?: Date;
}): Promise<LoadPlan> {
  const { view, computed } = input;
  const now = input.now ?? new Date();
  return withRedis(input.redisUrl, async (redis) => {
    const rawPointer = await redis.get(currentKey(view.name));
    const version = await redis.incr(seqKey(view.name));
    const shards = input.shards ?? autoShards(computed.rows, ENTITIES_PER_SHARD);
    const base = { view: view.name, version, asOf: input.asOf, shards, shardHash: CURRENT_BUCKET_HASH };
    const full = (reason?: string): LoadPlan => ({
      ...base,
      mode: 'full',
      reason,
      layers: [version],
      baseWrittenAt: now.toISOString(),
    });
    if (input.mode === 'full') return full();
    if (rawPointer === null) return full('no published version to compare with');
    const pointer = parsePointer(rawPointer);
    const meta = await readVersionMeta(redis, view.name, pointer.version);
    if (!meta) return full(`no metadata for published version ${pointer.version}`);
    if (meta.fields !== fieldsSignature(view)) return full('the view fields changed');
    if (meta.layers.length >= MAX_LAYERS) return full(`${meta.layers.length} layers stacked; compacting`);
    if (now.getTime() - Date.parse(meta.baseWrittenAt) > (view.ttlSeconds * 1000) / 2)
      return full('the base version is older than half the TTL');
    if (meta.offline === computed.offline)
      return full('the previous offline output was overwritten by this run');
    const prev = await readManifest(meta.offline);
    if (!prev || manifestFingerprint(prev) !== meta.fingerprint)
      return full('the previous offline output is gone or changed');
    return {
      ...base,
      mode: 'incremental',
      layers: [version, ...meta.layers],
      baseWrittenAt: meta.baseWrittenAt,
      previousFiles: prev.files.map((f) => joinUri(meta.offline, f.name)),
    };
  });
}

/** Writes one shard of the plan into the plan's version namespace; `onProgress` gets entities written. */
export async function loadShard(
  config: Config,
  input: { view: FeatureView; plan: LoadPlan; files: string[]; shard: number; redisUrl: string },
  onProgress: (written: number) => void | Promise<void> = () => {},
): Promise<ShardLoad> {
  const { view, plan } = input;
  return withScratch(config, `fs-load-${view.name}-${input.shard}`, (scratch) =>
    withDuckDB(duckdbOptions(config), async (db) => {
      const files = await stageAll(input.files, scratch);
      const previousFiles = plan.previousFiles ? await stageAll(plan.previousFiles, scratch) : undefined;
      const rows = loadRowsSql({
        view,
        files,
        previousFiles,
        shard: input.shard,
        shards: plan.shards,
        shardHash: plannedBucketHash(plan.shardHash),
      });
      await db.run(`CREATE OR REPLACE TEMP TABLE load AS ${rows}`);
      const pipe = await RespPipe.open(input.redisUrl);
      try {
        const result = await db.stream(
          respRowsSql('load', `${layerPrefix(view.name)}${plan.version}:`, view.ttlSeconds),
        );
        let written = 0;
        let tombstones = 0;
        for (;;) {
          // One DuckDB chunk (up to 2,048 rows) -> one socket write.
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          const resp = chunk.getColumnVector(0);
          const tomb = chunk.getColumnVector(1);
          const parts: string[] = new Array<string>(chunk.rowCount);
          for (let r = 0; r < chunk.rowCount; r++) {
            parts[r] = resp.getItem(r) as string;
            if (tomb.getItem(r) === true) tombstones += 1;
          }
          await pipe.write(parts.join(''), chunk.rowCount);
          written += chunk.rowCount;
          await onProgress(written);
        }
        await pipe.flush();
        return { shard: input.shard, written, tombstones };
      } finally {
        pipe.close();
      }
    }),
  );
}

/**
 * Why publishing `plan` now would lose data, given the pointer currently published; undefined when
 * it is safe. The pointer never moves back to an older version (a sync that started earlier but
 * finished later, whose keys the newer sync's cleanup may already have removed), and an incremental
 * version is published only on top of the version it was built on.
 */
export function publishConflict(plan: LoadPlan, current: Pointer | undefined): string | undefined {
  if (current?.version === plan.version) return undefined; // a retried publish: already switched
  if (current && current.version > plan.version)
    return `version ${current.version} of ${plan.view} was published while this sync (version ${plan.version}) ran; not switching back to the older version`;
  if (plan.layers.length > 1) {
    const base = plan.layers.slice(1).join(',');
    if (!current || current.layers.join(',') !== base)
      return `incremental sync of ${plan.view} (version ${plan.version}) was built on layers ${base}, but the published pointer is now ${current ? `version ${current.version} with layers ${current.layers.join(',')}` : 'gone'}; run it again`;
  }
  return undefined;
}

/**
 * Switches the view's pointer to the plan's version in one MULTI (pointer + metadata), guarded by
 * WATCH on the pointer and `publishConflict`, then removes every older version not in the new
 * layers: the previous full version, and leftovers of killed syncs. Versions newer than this one
 * (a later sync in flight) are left alone.
 */
export async function publishVersion(input: {
  view: FeatureView;
  plan: LoadPlan;
  computed: ComputedView;
  loads: ShardLoad[];
  redisUrl: string;
  now?: Date;
}): Promise<PublishedView> {
  const { view, plan, computed } = input;
  const now = input.now ?? new Date();
  const written = input.loads.reduce((s, l) => s + l.written, 0);
  const tombstones = input.loads.reduce((s, l) => s + l.tombstones, 0);
  const meta: VersionMeta = {
    version: plan.version,
    asOf: plan.asOf,
    publishedAt: now.toISOString(),
    mode: plan.mode,
    layers: plan.layers,
    baseWrittenAt: plan.baseWrittenAt,
    offline: computed.offline,
    entities: computed.rows,
    written,
    fields: fieldsSignature(view),
    fingerprint: computed.fingerprint,
  };
  // The pointer lives as long as the oldest layer's keys: a store nobody refreshes stops serving.
  const ttlLeft = Math.max(
    1,
    view.ttlSeconds - Math.floor((now.getTime() - Date.parse(plan.baseWrittenAt)) / 1000),
  );
  return withRedis(input.redisUrl, async (redis) => {
    // Optimistic check-and-set: EXEC does nothing (null) if another sync moved the pointer
    // between the WATCH and the EXEC; then look again.
    for (;;) {
      await redis.watch(currentKey(view.name));
      const raw = await redis.get(currentKey(view.name));
      const conflict = publishConflict(plan, raw === null ? undefined : parsePointer(raw));
      if (conflict) {
        await redis.unwatch();
        throw superseded(conflict);
      }
      const switched = await redis
        .multi()
        .set(
          currentKey(view.name),
          formatPointer({ version: plan.version, asOf: plan.asOf, layers: plan.layers }),
          'EX',
          ttlLeft,
        )
        .hset(versionsKey(view.name), String(plan.version), JSON.stringify(meta))
        .exec();
      if (switched !== null) break;
    }
    const deletedKeys = await removeOldVersions(redis, view.name, plan.version, plan.layers);
    const stale = (await redis.hkeys(versionsKey(view.name))).filter((v) => Number(v) < plan.version);
    if (stale.length) await redis.hdel(versionsKey(view.name), ...stale);
    return {
      view: view.name,
      version: plan.version,
      mode: plan.mode,
      reason: plan.reason,
      layers: plan.layers,
      entities: computed.rows,
      written,
      tombstones,
      invalidKeys: computed.invalidKeys,
      deletedKeys,
      offline: computed.offline,
      clusters: computed.clusters,
    };
  });
}

/** UNLINKs keys of versions older than `version` that `layers` does not reference. */
export async function removeOldVersions(
  redis: Redis,
  view: string,
  version: number,
  layers: number[],
): Promise<number> {
  const prefix = layerPrefix(view);
  const keep = new Set(layers);
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}[0-9]*`, 'COUNT', 10_000);
    cursor = next;
    const doomed = keys.filter((k) => {
      const v = Number(k.slice(prefix.length, k.indexOf(':', prefix.length)));
      return v < version && !keep.has(v);
    });
    if (doomed.length) deleted += await redis.unlink(...doomed);
  } while (cursor !== '0');
  return deleted;
}

/** What syncing one view in this process needs. */
export type SyncViewInput = ComputeViewInput & { mode: SyncMode; redisUrl: string; shards?: number };

/**
 * Every step of one view but the switch, in this process: compute, plan, load each shard (one by
 * one) into the plan's version. Returns what `publishVersion` takes.
 */
export async function loadViewInProcess(
  config: Config,
  input: SyncViewInput,
  onProgress?: (written: number) => void | Promise<void>,
): Promise<{ computed: ComputedView; plan: LoadPlan; loads: ShardLoad[]; computeMs: number }> {
  const t0 = performance.now();
  const computed = await computeView(config, input);
  const computeMs = performance.now() - t0;
  const plan = await planLoad({ ...input, computed });
  const loads: ShardLoad[] = [];
  for (let shard = 0; shard < plan.shards; shard++) {
    loads.push(await loadShard(config, { ...input, plan, files: computed.files, shard }, onProgress));
  }
  return { computed, plan, loads, computeMs };
}

/** All steps of one view in this process (benches, fault tests, local use); shards run one by one. */
export async function syncViewInProcess(
  config: Config,
  input: SyncViewInput,
  onProgress?: (written: number) => void | Promise<void>,
): Promise<PublishedView & { computeMs: number; loadMs: number }> {
  const t0 = performance.now();
  const { computed, plan, loads, computeMs } = await loadViewInProcess(config, input, onProgress);
  const published = await publishVersion({ ...input, plan, computed, loads });
  return { ...published, computeMs, loadMs: performance.now() - t0 - computeMs };
}
