// Types passed between the feature-sync workflow and its activities (paths and counts, never data).
import type { BucketHash } from '../../lib/buckets.js';

export type SyncMode = 'full' | 'incremental';

export interface ComputedView {
  view: string;
  /** Published offline prefix of this view (holds a _SUCCESS manifest). */
  offline: string;
  files: string[];
  /** The view's alias rows (k = merged-away id, survivor), for a view that follows aliases. */
  aliasFiles?: string[];
  /** Entities (alias rows not counted). */
  rows: number;
  /** Entities dropped because their key is null or not [A-Za-z0-9_-]{1,128}. */
  invalidKeys: number;
  /** sha256 of the manifest's file checksums: identifies this exact offline content. */
  fingerprint: string;
  /** The clusters used (none: each record is its own customer). */
  clusters?: string;
  /** The model-scoring alias table used, and the aliases loaded (those whose survivor is an entity). */
  aliases?: string;
  aliasRows?: number;
}

/** Redis's hash-max-listpack-* settings at plan time (undefined when CONFIG GET is not allowed). */
export interface ListpackLimits {
  entries: number;
  value: number;
}

export interface LoadPlan {
  view: string;
  version: number;
  /**
   * Hash buckets of the version (lib/features/keys.ts); an incremental version has its base's.
   * Undefined in plans made by releases that wrote a key per entity: such a sync cannot go on.
   */
  buckets?: number;
  mode: SyncMode;
  /** Why an incremental request became a full sync, if it did. */
  reason?: string;
  layers: number[];
  baseWrittenAt: string;
  asOf: string;
  /** Load shards: shard s writes the buckets b with b % shards = s. */
  shards: number;
  /** How keys map to shards; unset in plans made before it was recorded (md5-u128). */
  shardHash?: BucketHash;
  listpackLimits?: ListpackLimits;
  /** The previous version's offline files (incremental only). */
  previousFiles?: string[];
  /** Alias rows loaded beside the entities (ComputedView.aliasFiles), and the previous version's. */
  aliasFiles?: string[];
  previousAliasFiles?: string[];
}

export interface ShardLoad {
  shard: number;
  /** Entities written (tombstones included): the fields this shard's buckets must hold. */
  written: number;
  tombstones: number;
  buckets?: number;
  /** Buckets Redis keeps as a hashtable, not a compact listpack (over its hash-max-listpack-* limits). */
  nonCompactBuckets?: number;
  /** Bytes of the longest entity id or value written. */
  longestEntry?: number;
}

/** Shards whose buckets did not hold what they wrote when the switch was due (Redis lost data). */
export interface IncompleteVersion {
  view: string;
  version: number;
  incomplete: { shards: number[]; expected: number; found: number };
}

export interface PublishedView {
  view: string;
  version: number;
  mode: SyncMode;
  reason?: string;
  layers: number[];
  entities: number;
  written: number;
  tombstones: number;
  invalidKeys: number;
  /** Redis keys removed with the older versions (bucket keys; entity keys of legacy versions). */
  deletedKeys: number;
  /** Versions removed after the switch (older ones not in the new layers, leftovers of killed syncs). */
  removedVersions?: number[];
  /** Buckets of this version Redis keeps as a hashtable (see ShardLoad); undefined: limits unknown. */
  nonCompactBuckets?: number;
  offline: string;
  /** The clusters used (none: each record is its own customer). */
  clusters?: string;
  /** Aliases loaded (merged-away ids the API answers with their survivor). */
  aliasRows?: number;
}

export type PublishOutcome = PublishedView | IncompleteVersion;

export interface FeatureSyncResult {
  views: PublishedView[];
  durationMs: number;
}
