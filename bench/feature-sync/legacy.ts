// The online layout of releases before hash buckets, written the way they wrote it: a string key
// `fs:<view>:v<N>:<id>` per entity (SET ... EX ttl) with timestamps in decimal, a pointer without
// a bucket count, and the version's metadata. bench:feature-sync measures it as the baseline of
// the memory figure; the upgrade test serves it and replaces it.
import { Redis } from 'ioredis';
import { sqlFileList, sqlIdent, sqlString, withDuckDB } from '../../lib/duckdb.js';
import { fieldsSignature } from '../../lib/features/encoding.js';
import {
  currentKey,
  formatPointer,
  legacyEntityKey,
  seqKey,
  versionsKey,
  type PublishedVersion,
} from '../../lib/features/keys.js';
import { RespPipe } from '../../lib/features/resp-pipe.js';
import type { FeatureView } from '../../lib/features/types.js';

/** The earlier value encoding: the same as today's but timestamps as decimal epoch seconds. */
export function legacyValueSql(view: FeatureView): string {
  return view.fields
    .map((f) => {
      const col = sqlIdent(f.name);
      switch (f.type) {
        case 'int':
          return `coalesce(CAST(${col} AS VARCHAR), '')`;
        case 'text':
          return `coalesce(${col}, '')`;
        case 'timestamp':
          return `coalesce(CAST(epoch(${col})::BIGINT AS VARCHAR), '')`;
        case 'text[]':
          return `coalesce(array_to_string(${col}, chr(30)), '')`;
      }
    })
    .join(' || chr(31) || ');
}

export interface LegacyVersion {
  view: FeatureView;
  version: number;
  /** Local Parquet files of the view's rows. */
  files: string[];
  redisUrl: string;
  scratchDir: string;
  asOf: string;
  /** Metadata the earlier release recorded: its offline prefix and that output's fingerprint. */
  offline?: string;
  fingerprint?: string;
}

/** Writes `files` as a published legacy version; returns the entities written. */
export async function writeLegacyVersion(v: LegacyVersion): Promise<number> {
  const { view } = v;
  const prefix = legacyEntityKey(view.name, v.version, '');
  const ttl = String(view.ttlSeconds);
  const format = `*5\r\n$3\r\nSET\r\n$%d\r\n${prefix}%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$${ttl.length}\r\n${ttl}\r\n`;
  const written = await withDuckDB({ scratchDir: v.scratchDir }, async (db) => {
    await db.run(`CREATE TEMP TABLE legacy AS SELECT ${sqlIdent(view.key)} AS k, ${legacyValueSql(view)} AS v
                  FROM read_parquet(${sqlFileList(v.files)})`);
    const result = await db.stream(
      `SELECT printf(${sqlString(format)}, strlen(k) + ${Buffer.byteLength(prefix)}, k, strlen(v), v) FROM legacy`,
    );
    const pipe = await RespPipe.open(v.redisUrl);
    let n = 0;
    try {
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const col = chunk.getColumnVector(0);
        const parts: string[] = new Array<string>(chunk.rowCount);
        for (let r = 0; r < chunk.rowCount; r++) parts[r] = col.getItem(r) as string;
        await pipe.write(parts.join(''), chunk.rowCount);
        n += chunk.rowCount;
      }
      await pipe.flush();
    } finally {
      pipe.close();
    }
    return n;
  });
  const now = new Date().toISOString();
  const meta: PublishedVersion = {
    version: v.version,
    asOf: v.asOf,
    publishedAt: now,
    mode: 'full',
    layers: [v.version],
    baseWrittenAt: now,
    offline: v.offline ?? '',
    entities: written,
    written,
    fields: fieldsSignature(view),
    fingerprint: v.fingerprint ?? '',
  };
  const redis = new Redis(v.redisUrl);
  try {
    await redis
      .multi()
      .set(seqKey(view.name), String(v.version))
      .set(
        currentKey(view.name),
        formatPointer({ version: v.version, asOf: v.asOf, layers: [v.version] }),
        'EX',
        view.ttlSeconds,
      )
      .hset(versionsKey(view.name), String(v.version), JSON.stringify(meta))
      .exec();
  } finally {
    redis.disconnect();
  }
  return written;
}
