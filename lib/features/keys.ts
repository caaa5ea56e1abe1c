// The Redis key layout of the online store (one namespace per view):
//   fs:<view>:current          pointer "<version>|<asOf ISO>|<layers>|<buckets>", switched in one step
//   fs:<view>:seq              the last version number handed out (never reused: see versionFloor)
//   fs:<view>:versions         hash version -> JSON VersionMeta: every version written and not yet
//                              removed, from its plan on (the per-version index cleanup works from)
//   fs:<view>:v<N>:b<bucket>   hash entity id -> encoded features: the entities of version N whose
//                              id falls in <bucket> (lib/features/keys.ts entityBucket), ~64 each
//   fs:<view>:v<N>:complete    the entity count of version N, written once Redis was seen to hold
//                              all of it; the pointer switches only while this key says so
// A full sync writes every entity into a fresh v<N> and publishes layers "N". An incremental sync
// writes only changed entities (and '' tombstones for removed ones) into v<N> with the base's
// bucket count and publishes layers "N,<previous layers>"; readers take the first layer holding
// the id. Hash buckets instead of a key per entity: a small hash is one listpack allocation, so
// an entity costs its id and value plus a few bytes, not a key, a TTL entry and two objects
// (BENCHMARKS.md, bench:feature-sync).
//
// Versions written by earlier Daybreak releases ("legacy": a string key fs:<view>:v<N>:<id> per
// entity, a pointer without the <buckets> part) stay readable until the next sync replaces them.
import { hash } from 'node:crypto';

export function currentKey(view: string): string {
  return `fs:${view}:current`;
}
export function seqKey(view: string): string {
  return `fs:${view}:seq`;
}
export function versionsKey(view: string): string {
  return `fs:${view}:versions`;
}
/** Prefix of version N's bucket keys: the bucket number follows. */
export function bucketPrefix(view: string, version: number): string {
  return `fs:${view}:v${version}:b`;
}
export function bucketKey(view: string, version: number, bucket: number): string {
  return `${bucketPrefix(view, version)}${bucket}`;
}
export function completeKey(view: string, version: number): string {
  return `fs:${view}:v${version}:complete`;
}
/** A legacy version's key of one entity. */
export function legacyEntityKey(view: string, version: number, id: string): string {
  return `fs:${view}:v${version}:${id}`;
}

/** Entities per hash bucket aimed at: well inside Redis's default hash-max-listpack-entries (128). */
export const ENTITIES_PER_BUCKET = 64;
/** Bucket counts stay below 2^26, so entityBucket's arithmetic is exact in doubles. */
export const MAX_BUCKETS = 2 ** 26;

export function bucketCount(entities: number): number {
  return Math.min(MAX_BUCKETS, Math.max(1, Math.ceil(entities / ENTITIES_PER_BUCKET)));
}

/**
 * The bucket of an entity id: the top 64 bits of md5(id) modulo `buckets`, the same number as
 * `bucketSql(id, buckets, 'md5-u64')` in DuckDB (lib/buckets.ts; md5_number's high half is the
 * digest's bytes 8-15, little-endian). Computed on two 32-bit halves: (hi * 2^32 + lo) mod B.
 */
export function entityBucket(id: string, buckets: number): number {
  const d = hash('md5', id, 'buffer');
  const lo = d.readUInt32LE(8);
  const hi = d.readUInt32LE(12);
  return ((((hi % buckets) * (4294967296 % buckets)) % buckets) + (lo % buckets)) % buckets;
}

/**
 * Version numbers are at least the allocation time in milliseconds: a Redis that lost its data
 * (and with it fs:<view>:seq) still never hands out a number an earlier version had, so no
 * reader can take a new version's keys for an old one's (issue 14.5).
 */
export function versionFloor(now: Date): number {
  return now.getTime();
}

export interface Pointer {
  version: number;
  asOf: string;
  /** Versions to look an id up in, newest first. */
  layers: number[];
  /** Hash buckets per layer (all layers of one pointer share it); undefined: a legacy version. */
  buckets?: number;
}

export function formatPointer(p: Pointer): string {
  const base = `${p.version}|${p.asOf}|${p.layers.join(',')}`;
  return p.buckets === undefined ? base : `${base}|${p.buckets}`;
}

export function parsePointer(raw: string): Pointer {
  const [version, asOf, layers, buckets] = raw.split('|');
  return {
    version: Number(version),
    asOf: asOf ?? '',
    layers: (layers ?? '').split(',').map(Number),
    ...(buckets === undefined ? {} : { buckets: Number(buckets) }),
  };
}

/** fs:<view>:versions entry of a planned version whose sync has not switched to it (yet). */
export interface LoadingVersion {
  state: 'loading';
  version: number;
  buckets: number;
  plannedAt: string;
}

/** fs:<view>:versions entry of a published version (legacy entries: no state, no buckets). */
export interface PublishedVersion {
  state?: 'published';
  version: number;
  /** Hash buckets of the version's keys; undefined: a legacy key-per-entity version. */
  buckets?: number;
  asOf: string;
  publishedAt: string;
  mode: 'full' | 'incremental';
  layers: number[];
  /** When the oldest layer was written: its keys expire ttl seconds after. */
  baseWrittenAt: string;
  /** The offline Parquet (published prefix) this version was loaded from. */
  offline: string;
  entities: number;
  written: number;
  fields: string;
  /** Identifies the offline content (its manifest checksums): incremental syncs diff against it. */
  fingerprint: string;
}

export type VersionMeta = LoadingVersion | PublishedVersion;
