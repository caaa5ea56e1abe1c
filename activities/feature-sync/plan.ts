// Planning a sync of one view: a fresh version number, full or incremental (with the reason when
// an incremental request becomes full), the bucket count, and the version's entry in the
// per-version index (fs:<view>:versions) before any of its keys is written, so that a sync killed
// midway leaves nothing the next publish cannot find and remove.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Redis } from 'ioredis';
import { CURRENT_BUCKET_HASH } from '../../lib/buckets.js';
import { ErrorType } from '../../lib/errors.js';
import { autoShards } from '../../lib/shards.js';
import { fieldsSignature } from '../../lib/features/encoding.js';
import {
  bucketCount,
  currentKey,
  parsePointer,
  seqKey,
  versionFloor,
  versionsKey,
  type LoadingVersion,
  type VersionMeta,
} from '../../lib/features/keys.js';
import type { FeatureView } from '../../lib/features/types.js';
import { joinUri } from '../../lib/storage/index.js';
import { readManifest, type Manifest } from '../../lib/storage/manifest.js';
import { withRedis } from './redis.js';
import type { ComputedView, ListpackLimits, LoadPlan, SyncMode } from './types.js';

/** Incremental layers stacked on one full version before the next sync is made full again. */
export const MAX_LAYERS = 4;
/** Entities per load shard when the shard count is automatic. */
export const ENTITIES_PER_SHARD = 2_000_000;

/** Where a view's offline output keeps its alias rows (a view that follows aliases). */
export const ALIASES_FOLDER = 'aliases/';

export function isAliasFile(name: string): boolean {
  return name.startsWith(ALIASES_FOLDER);
}

export function manifestFingerprint(m: Manifest): string {
  return createHash('sha256')
    .update(m.files.map((f) => `${f.name}:${f.sha256}`).join('\n'))
    .digest('hex');
}

/** A plan an earlier release made (a key per entity): this release cannot load or publish it. */
export function incompatiblePlan(plan: LoadPlan): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.IncompatiblePlan,
    nonRetryable: true,
    message: `version ${plan.version} of ${plan.view} was planned by an earlier Daybreak release (a Redis key per entity); this release writes hash buckets and cannot continue it. The previous version keeps serving: run the sync again.`,
  });
}

// KEYS[1] = fs:<view>:seq; ARGV[1] = the floor (ms). The next number, never below the floor.
const ALLOCATE_LUA = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
local floor = tonumber(ARGV[1])
if v < floor then v = floor end
redis.call('SET', KEYS[1], string.format('%d', v))
return v`;

/** A version number no earlier version of the view had, even after Redis lost fs:<view>:seq. */
export async function allocateVersion(redis: Redis, view: string, now: Date): Promise<number> {
  return Number(await redis.eval(ALLOCATE_LUA, 1, seqKey(view), String(versionFloor(now))));
}

export async function readVersionMeta(
  redis: Redis,
  view: string,
  version: number,
): Promise<VersionMeta | undefined> {
  const raw = await redis.hget(versionsKey(view), String(version));
  return raw === null ? undefined : (JSON.parse(raw) as VersionMeta);
}

/** Redis's listpack limits for hashes, when CONFIG GET is allowed (managed Redis may refuse it). */
async function listpackLimits(redis: Redis): Promise<ListpackLimits | undefined> {
  try {
    const reply = (await redis.config('GET', 'hash-max-listpack-*')) as string[];
    const map = new Map<string, number>();
    for (let i = 0; i + 1 < reply.length; i += 2) map.set(reply[i]!, Number(reply[i + 1]));
    const entries = map.get('hash-max-listpack-entries');
    const value = map.get('hash-max-listpack-value');
    return entries === undefined || value === undefined ? undefined : { entries, value };
  } catch {
    return undefined;
  }
}

export interface PlanLoadInput {
  view: FeatureView;
  computed: ComputedView;
  mode: SyncMode;
  redisUrl: string;
  asOf: string;
  shards?: number;
  now?: Date;
}

/** Allocates and registers a fresh version and decides full or incremental. */
export async function planLoad(input: PlanLoadInput): Promise<LoadPlan> {
  const { view, computed } = input;
  const now = input.now ?? new Date();
  return withRedis(input.redisUrl, async (redis) => {
    const rawPointer = await redis.get(currentKey(view.name));
    const version = await allocateVersion(redis, view.name, now);
    const shards = input.shards ?? autoShards(computed.rows, ENTITIES_PER_SHARD);
    const base = {
      view: view.name,
      version,
      asOf: input.asOf,
      shards,
      shardHash: CURRENT_BUCKET_HASH,
      listpackLimits: await listpackLimits(redis),
      ...(computed.aliasFiles?.length ? { aliasFiles: computed.aliasFiles } : {}),
    };
    const full = (reason?: string): LoadPlan => ({
      ...base,
      mode: 'full',
      reason,
      buckets: bucketCount(computed.rows),
      layers: [version],
      baseWrittenAt: now.toISOString(),
    });
    const decide = async (): Promise<LoadPlan> => {
      if (input.mode === 'full') return full();
      if (rawPointer === null) return full('no published version to compare with');
      const pointer = parsePointer(rawPointer);
      const meta = await readVersionMeta(redis, view.name, pointer.version);
      if (!meta || meta.state === 'loading')
        return full(`no metadata for published version ${pointer.version}`);
      if (meta.buckets === undefined)
        return full('the published version has the key-per-entity layout of an earlier release');
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
        buckets: meta.buckets,
        layers: [version, ...meta.layers],
        baseWrittenAt: meta.baseWrittenAt,
        previousFiles: prev.files
          .filter((f) => !isAliasFile(f.name))
          .map((f) => joinUri(meta.offline, f.name)),
        ...(prev.files.some((f) => isAliasFile(f.name))
          ? {
              previousAliasFiles: prev.files
                .filter((f) => isAliasFile(f.name))
                .map((f) => joinUri(meta.offline, f.name)),
            }
          : {}),
      };
    };
    const plan = await decide();
    const entry: LoadingVersion = {
      state: 'loading',
      version,
      buckets: plan.buckets!,
      plannedAt: now.toISOString(),
    };
    await redis.hset(versionsKey(view.name), String(version), JSON.stringify(entry));
    return plan;
  });
}
