// Versions written by earlier releases: a string key fs:<view>:v<N>:<id> per entity, and no index
// of them in Redis. Their index is the offline output they were loaded from (the version's
// metadata names it, with its checksum): the first sync of this release removes the keys of every
// id that output lists, in every layer. Keys it cannot name (the output is gone or was rewritten,
// or ids removed by a legacy incremental layer, listed only in an older output) are left to their
// TTL (7 days for the built-in views).
import type { Redis } from 'ioredis';
import type { Config } from '../../lib/config.js';
import { sqlFileList, sqlIdent, withDuckDB } from '../../lib/duckdb.js';
import { legacyEntityKey, type PublishedVersion } from '../../lib/features/keys.js';
import { featureView } from '../../lib/features/views/index.js';
import { joinUri } from '../../lib/storage/index.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { duckdbOptions } from '../common/deps.js';
import { withScratch } from '../common/scratch.js';
import { stageAll } from '../common/staging.js';
import { manifestFingerprint } from './plan.js';
import { paced, type CleanupPacing } from './pacing.js';

/** UNLINKs the entity keys of a legacy version's layers; returns the keys that existed. */
export async function removeLegacyVersion(
  config: Config,
  redis: Redis,
  view: string,
  meta: PublishedVersion,
  pacing: CleanupPacing,
): Promise<number> {
  const key = featureView(view)?.key;
  const manifest = meta.offline ? await readManifest(meta.offline) : undefined;
  if (!key || !manifest || manifestFingerprint(manifest) !== meta.fingerprint) return 0;
  const layers = meta.layers.length ? meta.layers : [meta.version];
  return withScratch(config, `fs-legacy-${view}`, (scratch) =>
    withDuckDB(duckdbOptions(config, false), async (db) => {
      const files = await stageAll(
        manifest.files.map((f) => joinUri(meta.offline, f.name)),
        scratch,
      );
      const result = await db.stream(`SELECT ${sqlIdent(key)} AS k FROM read_parquet(${sqlFileList(files)})`);
      let deleted = 0;
      let batch: string[] = [];
      const unlink = async () => {
        const keys = batch;
        if (keys.length) deleted += await paced(pacing, () => redis.unlink(...keys));
        batch = [];
      };
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const ids = chunk.getColumnVector(0);
        for (let r = 0; r < chunk.rowCount; r++) {
          const id = ids.getItem(r) as string | null;
          if (id === null) continue;
          for (const layer of layers) batch.push(legacyEntityKey(view, layer, id));
          if (batch.length >= pacing.unlinkBatch) await unlink();
        }
      }
      await unlink();
      return deleted;
    }),
  );
}
