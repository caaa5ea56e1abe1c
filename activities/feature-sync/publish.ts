// Publishing a loaded version: check that Redis holds every entity the shards wrote, switch the
// pointer in one step guarded by that check, then remove the versions the new pointer no longer
// needs, through the per-version index (fs:<view>:versions), never a keyspace SCAN.
import type { Redis } from 'ioredis';
import type { Config } from '../../lib/config.js';
import { superseded } from '../../lib/errors.js';
import { fieldsSignature } from '../../lib/features/encoding.js';
import {
  bucketKey,
  bucketPrefix,
  completeKey,
  currentKey,
  formatPointer,
  parsePointer,
  versionsKey,
  type Pointer,
  type PublishedVersion,
  type VersionMeta,
} from '../../lib/features/keys.js';
import type { FeatureView } from '../../lib/features/types.js';
import { removeLegacyVersion } from './legacy.js';
import { CLEANUP_PACING, paced, type CleanupPacing } from './pacing.js';
import { incompatiblePlan } from './plan.js';
import { withRedis } from './redis.js';
import type { ComputedView, LoadPlan, PublishOutcome, ShardLoad } from './types.js';

// KEYS[1] = bucket key prefix; ARGV = first bucket, last bucket, step. The sum of their HLENs.
const COUNT_LUA = `
local n = 0
for b = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]) do
  n = n + redis.call('HLEN', KEYS[1] .. string.format('%d', b))
end
return n`;

// KEYS = pointer, versions, complete marker; ARGV = pointer expected now ('' for none), entity
// count, new pointer, its TTL, version, metadata. Switches only while the marker still holds the
// count: a Redis that lost data after the check (a restart without persistence) lost the marker
// too, since Redis persists and replays writes in order.
const SWITCH_LUA = `
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return 'incomplete' end
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 'moved' end
redis.call('SET', KEYS[1], ARGV[3], 'EX', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[6])
return 'ok'`;

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

/** Entities Redis holds in each shard's buckets of `version` (shard s: buckets b % shards = s). */
export async function countShards(
  redis: Redis,
  view: string,
  version: number,
  buckets: number,
  shards: number,
  pacing: CleanupPacing = CLEANUP_PACING,
): Promise<number[]> {
  const counts: number[] = [];
  const chunk = pacing.countBatch;
  for (let s = 0; s < shards; s++) {
    let n = 0;
    for (let first = s; first < buckets; first += chunk * shards) {
      const last = Math.min(buckets - 1, first + (chunk - 1) * shards);
      n += Number(
        await paced(pacing, () => redis.eval(COUNT_LUA, 1, bucketPrefix(view, version), first, last, shards)),
      );
    }
    counts.push(n);
  }
  return counts;
}

export interface PublishInput {
  view: FeatureView;
  plan: LoadPlan;
  computed: ComputedView;
  loads: ShardLoad[];
  redisUrl: string;
  now?: Date;
  /** Told what cleanup is doing (heartbeats). */
  onProgress?: (step: string) => void;
  /** Tests and benches only: CLEANUP_PACING otherwise. */
  pacing?: CleanupPacing;
}

/**
 * Checks the counts and switches the view's pointer to the plan's version (an `incomplete` outcome
 * instead when Redis lost some of it: the caller loads those shards again), then removes every
 * older version not in the new layers: the previous full version, and leftovers of killed syncs.
 * Versions newer than this one (a later sync in flight) are left alone. Run again after a switch,
 * it only cleans up.
 */
export async function publishVersion(config: Config, input: PublishInput): Promise<PublishOutcome> {
  const { view, plan, computed } = input;
  const buckets = plan.buckets;
  if (buckets === undefined) throw incompatiblePlan(plan);
  const now = input.now ?? new Date();
  const pacing = input.pacing ?? CLEANUP_PACING;
  const written = input.loads.reduce((s, l) => s + l.written, 0);
  const tombstones = input.loads.reduce((s, l) => s + l.tombstones, 0);
  const nonCompact = input.loads.every((l) => l.nonCompactBuckets !== undefined)
    ? input.loads.reduce((s, l) => s + l.nonCompactBuckets!, 0)
    : undefined;
  const meta: PublishedVersion = {
    state: 'published',
    version: plan.version,
    buckets,
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
    const raw = await redis.get(currentKey(view.name));
    if (raw === null || parsePointer(raw).version !== plan.version) {
      const conflict = publishConflict(plan, raw === null ? undefined : parsePointer(raw));
      if (conflict) throw superseded(conflict);
      const counts = await countShards(redis, view.name, plan.version, buckets, plan.shards, pacing);
      const expected = new Array<number>(plan.shards).fill(0);
      for (const l of input.loads) expected[l.shard] = l.written;
      const short = counts.flatMap((n, s) => (n === expected[s] ? [] : [s]));
      const found = counts.reduce((a, b) => a + b, 0);
      if (short.length)
        return {
          view: view.name,
          version: plan.version,
          incomplete: { shards: short, expected: written, found },
        };
      await redis.set(completeKey(view.name, plan.version), String(written), 'EX', view.ttlSeconds);
      // Check-and-set: the script switches only if the pointer is still the one just checked.
      for (let current = raw ?? ''; ;) {
        const outcome = await redis.eval(
          SWITCH_LUA,
          3,
          currentKey(view.name),
          versionsKey(view.name),
          completeKey(view.name, plan.version),
          current,
          String(written),
          formatPointer({ version: plan.version, asOf: plan.asOf, layers: plan.layers, buckets }),
          ttlLeft,
          plan.version,
          JSON.stringify(meta),
        );
        if (outcome === 'ok') break;
        if (outcome === 'incomplete') {
          const lost = await countShards(redis, view.name, plan.version, buckets, plan.shards, pacing);
          return {
            view: view.name,
            version: plan.version,
            incomplete: {
              shards: lost.flatMap((n, s) => (n === expected[s] ? [] : [s])),
              expected: written,
              found: lost.reduce((a, b) => a + b, 0),
            },
          };
        }
        const moved = await redis.get(currentKey(view.name));
        const again = publishConflict(plan, moved === null ? undefined : parsePointer(moved));
        if (again) throw superseded(again);
        current = moved ?? '';
      }
    }
    const removed = await removeOldVersions(
      config,
      redis,
      view.name,
      plan.version,
      plan.layers,
      input.onProgress,
      pacing,
    );
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
      deletedKeys: removed.keys,
      removedVersions: removed.versions,
      nonCompactBuckets: nonCompact,
      offline: computed.offline,
      clusters: computed.clusters,
      ...(computed.aliasRows === undefined ? {} : { aliasRows: computed.aliasRows }),
    };
  });
}

/** UNLINKs every bucket key of a version, a paced batch at a time; returns the keys that existed. */
async function removeBucketedVersion(
  redis: Redis,
  view: string,
  version: number,
  buckets: number,
  pacing: CleanupPacing,
) {
  let deleted = 0;
  for (let first = 0; first < buckets; first += pacing.unlinkBatch) {
    const keys: string[] = [];
    for (let b = first; b < Math.min(buckets, first + pacing.unlinkBatch); b++)
      keys.push(bucketKey(view, version, b));
    deleted += await paced(pacing, () => redis.unlink(...keys));
  }
  await redis.unlink(completeKey(view, version));
  return deleted;
}

/**
 * Removes the versions of the index older than `version` that `layers` does not reference, oldest
 * first, then their index entries.
 */
export async function removeOldVersions(
  config: Config,
  redis: Redis,
  view: string,
  version: number,
  layers: number[],
  onProgress?: (step: string) => void,
  pacing: CleanupPacing = CLEANUP_PACING,
): Promise<{ versions: number[]; keys: number }> {
  const keep = new Set(layers);
  const entries = Object.entries(await redis.hgetall(versionsKey(view)))
    .map(([, json]) => JSON.parse(json) as VersionMeta)
    .filter((m) => m.version < version && !keep.has(m.version))
    .sort((a, b) => a.version - b.version);
  let keys = 0;
  for (const meta of entries) {
    onProgress?.(`removing version ${meta.version}`);
    keys +=
      meta.buckets === undefined
        ? await removeLegacyVersion(config, redis, view, meta as PublishedVersion, pacing)
        : await removeBucketedVersion(redis, view, meta.version, meta.buckets, pacing);
    await redis.hdel(versionsKey(view), String(meta.version));
  }
  return { versions: entries.map((m) => m.version), keys };
}
