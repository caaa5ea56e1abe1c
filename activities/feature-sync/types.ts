// Types passed between the feature-sync workflow and its activities (paths and counts, never data).
import type { BucketHash } from '../../lib/buckets.js';

export type SyncMode = 'full' | 'incremental';

export interface ComputedView {
  view: string;
  /** Published offline prefix of this view (holds a _SUCCESS manifest). */
  offline: string;
  files: string[];
  rows: number;
  /** Entities dropped because their key is null or not [A-Za-z0-9_-]{1,128}. */
  invalidKeys: number;
  /** sha256 of the manifest's file checksums: identifies this exact offline content. */
  fingerprint: string;
  /** The clusters used (none: each record is its own customer). */
  clusters?: string;
}

export interface LoadPlan {
  view: string;
  version: number;
  mode: SyncMode;
  /** Why an incremental request became a full sync, if it did. */
  reason?: string;
  layers: number[];
  baseWrittenAt: string;
  asOf: string;
  shards: number;
  /** How keys map to shards; unset in plans made before it was recorded (md5-u128). */
  shardHash?: BucketHash;
  /** The previous version's offline files (incremental only). */
  previousFiles?: string[];
}

export interface ShardLoad {
  shard: number;
  written: number;
  tombstones: number;
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
  deletedKeys: number;
  offline: string;
  /** The clusters used (none: each record is its own customer). */
  clusters?: string;
}

export interface FeatureSyncResult {
  views: PublishedView[];
  durationMs: number;
}
