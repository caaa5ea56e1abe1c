// Loading one shard of a plan into Redis: DuckDB turns the shard's rows into one HSET per hash
// bucket (RESP text, lib/features/keys.ts) and the bytes go to a raw socket as they are made.
import { plannedBucketHash } from '../../lib/buckets.js';
import type { Config } from '../../lib/config.js';
import { withDuckDB } from '../../lib/duckdb.js';
import { bucketPrefix } from '../../lib/features/keys.js';
import { RespPipe } from '../../lib/features/resp-pipe.js';
import type { FeatureView } from '../../lib/features/types.js';
import { duckdbOptions } from '../common/deps.js';
import { withScratch } from '../common/scratch.js';
import { stageAll } from '../common/staging.js';
import { incompatiblePlan } from './plan.js';
import { bucketRespSql, loadRowsSql } from './sql.js';
import type { LoadPlan, ShardLoad } from './types.js';

export interface LoadShardInput {
  view: FeatureView;
  plan: LoadPlan;
  files: string[];
  shard: number;
  redisUrl: string;
}

/**
 * Writes one shard of the plan into the plan's version; `onProgress` gets entities written. Run
 * again after a failure, it writes the same fields again (HSET is idempotent).
 */
export async function loadShard(
  config: Config,
  input: LoadShardInput,
  onProgress: (written: number) => void | Promise<void> = () => {},
): Promise<ShardLoad> {
  const { view, plan } = input;
  const buckets = plan.buckets;
  if (buckets === undefined) throw incompatiblePlan(plan);
  const limits = plan.listpackLimits;
  return withScratch(config, `fs-load-${view.name}-${input.shard}`, (scratch) =>
    withDuckDB(duckdbOptions(config), async (db) => {
      const files = await stageAll(input.files, scratch);
      const previousFiles = plan.previousFiles ? await stageAll(plan.previousFiles, scratch) : undefined;
      const aliasFiles = plan.aliasFiles ? await stageAll(plan.aliasFiles, scratch) : undefined;
      const previousAliasFiles = plan.previousAliasFiles
        ? await stageAll(plan.previousAliasFiles, scratch)
        : undefined;
      const rows = loadRowsSql({
        view,
        files,
        previousFiles,
        aliasFiles,
        previousAliasFiles,
        shard: input.shard,
        shards: plan.shards,
        buckets,
        shardHash: plannedBucketHash(plan.shardHash),
      });
      await db.run(`CREATE OR REPLACE TEMP TABLE load AS ${rows}`);
      const pipe = await RespPipe.open(input.redisUrl);
      try {
        const result = await db.stream(
          bucketRespSql('load', bucketPrefix(view.name, plan.version), view.ttlSeconds),
        );
        const load: Required<ShardLoad> = {
          shard: input.shard,
          written: 0,
          tombstones: 0,
          buckets: 0,
          nonCompactBuckets: 0,
          longestEntry: 0,
        };
        for (;;) {
          // One DuckDB chunk (up to 2,048 buckets) -> one socket write.
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          const [resp, entities, tombstones, longest] = [0, 1, 2, 3].map((c) => chunk.getColumnVector(c));
          const parts: string[] = new Array<string>(chunk.rowCount);
          let written = 0;
          for (let r = 0; r < chunk.rowCount; r++) {
            parts[r] = resp!.getItem(r) as string;
            const n = entities!.getItem(r) as number;
            const l = longest!.getItem(r) as number;
            written += n;
            load.tombstones += tombstones!.getItem(r) as number;
            if (l > load.longestEntry) load.longestEntry = l;
            if (limits && (n > limits.entries || l > limits.value)) load.nonCompactBuckets += 1;
          }
          await pipe.write(parts.join(''), 2 * chunk.rowCount);
          load.buckets += chunk.rowCount;
          load.written += written;
          await onProgress(load.written);
        }
        await pipe.flush();
        return limits ? load : { ...load, nonCompactBuckets: undefined };
      } finally {
        pipe.close();
      }
    }),
  );
}
