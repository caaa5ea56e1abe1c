// What the online store holds for a view, read by a full SCAN: only tests look at Redis this way
// (the product never scans the keyspace).
import { Redis } from 'ioredis';
import type { PublishedVersion, VersionMeta } from '../../lib/features/keys.js';

export interface StoreContents {
  /** Per version: entities (fields) in its bucket keys. */
  entities: Map<number, number>;
  /** Per version: bucket keys. */
  bucketKeys: Map<number, number>;
  /** Per legacy version: entity keys. */
  legacyKeys: Map<number, number>;
  /** Every other key of the view, sorted (pointer, seq, versions, complete markers). */
  other: string[];
  /** The per-version index (fs:<view>:versions), by version. */
  index: Map<number, VersionMeta>;
}

export async function storeContents(redisUrl: string, view: string): Promise<StoreContents> {
  const r = new Redis(redisUrl);
  const out: StoreContents = {
    entities: new Map(),
    bucketKeys: new Map(),
    legacyKeys: new Map(),
    other: [],
    index: new Map(),
  };
  const add = (m: Map<number, number>, k: number, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `fs:${view}:*`, 'COUNT', 5000);
      cursor = next;
      for (const k of keys) {
        const bucket = new RegExp(`^fs:${view}:v(\\d+):b\\d+$`).exec(k);
        const legacy = new RegExp(`^fs:${view}:v(\\d+):(?!complete$)[A-Za-z0-9_-]+$`).exec(k);
        if (bucket) {
          add(out.bucketKeys, Number(bucket[1]), 1);
          add(out.entities, Number(bucket[1]), await r.hlen(k));
        } else if (legacy) add(out.legacyKeys, Number(legacy[1]), 1);
        else out.other.push(k);
      }
    } while (cursor !== '0');
    for (const [v, json] of Object.entries(await r.hgetall(`fs:${view}:versions`)))
      out.index.set(Number(v), JSON.parse(json) as VersionMeta);
  } finally {
    r.disconnect();
  }
  out.other.sort();
  return out;
}

/** The keys a view holds besides entity data once version `v` is published and the rest removed. */
export function publishedOnly(view: string, v: number): string[] {
  return [`fs:${view}:current`, `fs:${view}:seq`, `fs:${view}:v${v}:complete`, `fs:${view}:versions`].sort();
}

export function isPublished(meta: VersionMeta | undefined): meta is PublishedVersion {
  return meta !== undefined && meta.state !== 'loading';
}
