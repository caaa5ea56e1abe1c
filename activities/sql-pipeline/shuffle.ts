// mode shuffle for SQL pipelines: the plan (how many buckets of shardBy, each input's map
// groups) and the map task that writes one group of an input's files by bucket. The shuffle
// itself is activities/common/shuffle.ts, shared with identity-join; each bucket is then reduced by
// the query task of modes.ts reading only that bucket's partitions.
import { CURRENT_BUCKET_HASH, type BucketHash } from '../../lib/buckets.js';
import type { Config } from '../../lib/config.js';
import { sqlIdent } from '../../lib/duckdb.js';
import { parquetRelation } from '../../lib/sql-pipelines/sandbox.js';
import { taskMemoryBytes } from '../common/memory.js';
import { requireColumns } from '../common/schema.js';
import {
  bucketsForMemory,
  runShuffleMap,
  shuffleMapGroups,
  type ShuffleMapResult,
} from '../common/shuffle.js';
import type { PlannedInput, SqlShufflePlan } from './types.js';

/**
 * In-memory bytes a reduce may hold per byte of input Parquet: its joins hash and its groupings
 * keep rows of every input, and Parquet expands several times in DuckDB's memory (identity-join
 * measured ~5x for its DS2: activities/identity-join/plan.ts). Every input counts, not only a build side:
 * the planner cannot tell from the SQL which side DuckDB will hash.
 */
export const MEMORY_PER_PARQUET_BYTE = 5;

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

/** Buckets of shardBy so a bucket of every input fits half a task's memory, or those asked for. */
export function sizeSqlShuffle(opts: {
  shardBy: string;
  inputBytes: number;
  memoryLimit?: string;
  concurrentTasks: number;
  totalMemory?: number;
  buckets?: number;
}): Pick<SqlShufflePlan, 'buckets' | 'memoryBytes' | 'taskMemoryBytes' | 'reason'> {
  const memoryBytes = opts.inputBytes * MEMORY_PER_PARQUET_BYTE;
  const perTask = taskMemoryBytes(opts);
  if (opts.buckets !== undefined)
    return {
      buckets: opts.buckets,
      memoryBytes,
      taskMemoryBytes: perTask,
      reason: `buckets=${opts.buckets} asked for`,
    };
  const buckets = bucketsForMemory(memoryBytes, perTask);
  const inputs = `the inputs (~${gb(memoryBytes)} in memory, ${MEMORY_PER_PARQUET_BYTE}x their Parquet)`;
  return {
    buckets,
    memoryBytes,
    taskMemoryBytes: perTask,
    reason:
      buckets === 1
        ? `${inputs} fit half of a task's ${gb(perTask)}: one task, no shuffle`
        : `${inputs} exceed half of a task's ${gb(perTask)}: shuffled into ${buckets} ${opts.shardBy} buckets`,
  };
}

/** The shuffle plan: sizing, and (more than one bucket) every input's map groups. */
export function planSqlShuffle(opts: {
  config: Config;
  shardBy: string;
  inputs: Record<string, PlannedInput>;
  groupBytes: number;
  buckets?: number;
  workUri: string;
  /** The plan's bucket hash (default: md5, CURRENT_BUCKET_HASH; the planner passes shufflePlanHash()). */
  bucketHash?: BucketHash;
}): SqlShufflePlan {
  const sizing = sizeSqlShuffle({
    shardBy: opts.shardBy,
    inputBytes: Object.values(opts.inputs).reduce((s, i) => s + i.bytes, 0),
    memoryLimit: opts.config.DAYBREAK_DUCKDB_MEMORY_LIMIT,
    concurrentTasks: opts.config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES,
    buckets: opts.buckets,
  });
  const maps: Record<string, string[][][]> = {};
  if (sizing.buckets > 1) {
    for (const [name, input] of Object.entries(opts.inputs))
      maps[name] = shuffleMapGroups(input.files, opts.groupBytes);
  }
  return {
    shardBy: opts.shardBy,
    bucketHash: opts.bucketHash ?? CURRENT_BUCKET_HASH,
    workUri: opts.workUri,
    maps,
    ...sizing,
  };
}

/** One map task of a SQL pipeline's shuffle: one group of one input's files. */
export interface SqlShuffleMapTask {
  /** The pipeline file, for messages. */
  file: string;
  /** The input's view name (its folder under <work>/shuffle). */
  input: string;
  shardBy: string;
  group: number;
  groups: number;
  batches: string[][];
  buckets: number;
  bucketHash: SqlShufflePlan['bucketHash'];
  workUri: string;
}

/** Writes one group of an input's files, every column, by the bucket of shardBy. */
export function runSqlShuffleMap(config: Config, task: SqlShuffleMapTask): Promise<ShuffleMapResult> {
  return runShuffleMap(config, task, {
    key: sqlIdent(task.shardBy),
    check: async (conn, locals, uris) => {
      for (const [i, local] of locals.entries())
        await requireColumns(conn, local, `${uris[i]} (input ${task.input} of ${task.file})`, {
          [task.shardBy]: 'any',
        });
    },
    rowsSql: (locals) => `SELECT * FROM ${parquetRelation(locals)}`,
  });
}
