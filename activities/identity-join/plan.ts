// Planning identity-join: which DS1 files belong to the run date, and how to cut the work so each
// task fits a worker. A join holds DS2 (hashed, distinct) in memory, DuckDB spilling past
// memory_limit, slower. When DS2 fits half a task's memory, one join per DS1 file group hashes
// all of DS2 itself. When it does not, the plan shuffles: both inputs are written once by
// visitor_id bucket (activities/common/shuffle.ts) and one join per bucket holds 1/B of DS2 and
// reads 1/B of DS1. DS1 is only streamed, so its size sets the file groups, not the buckets.
import { missingInput } from '../../lib/errors.js';
import { hasGlob, joinUri, resolveDataset, type ObjectInfo } from '../../lib/storage/index.js';
import { taskMemoryBytes } from '../common/memory.js';
import { bucketsForMemory } from '../common/shuffle.js';

/** DS1 Parquet bytes per join task (and per shuffle map task). */
export const DS1_BYTES_PER_TASK = 4 * 1024 ** 3;
/** DS2 Parquet bytes per hashing task (and per shuffle map task). */
export const DS2_BYTES_PER_TASK = 2 * 1024 ** 3;
/**
 * Hashed, distinct DS2 in DuckDB's memory per byte of DS2 Parquet: the raw pii/ip compress well
 * but the 64-character sha2 does not (~120 B a row in memory vs ~25 B in Parquet on generated data).
 */
export const DS2_MEMORY_PER_PARQUET_BYTE = 5;

export interface JoinSizing {
  buckets: number;
  /** DS2's estimated hash table: DS2_MEMORY_PER_PARQUET_BYTE x its Parquet bytes. */
  ds2MemoryBytes: number;
  /** What one task's DuckDB may use (DAYBREAK_DUCKDB_MEMORY_LIMIT, or its share of 80% of RAM). */
  taskMemoryBytes: number;
  /** Why, in words (the plan records it; the Web UI shows it). */
  reason: string;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

/**
 * visitor_id buckets so one bucket's hashed DS2 takes at most half a task's memory (the other half
 * is the join's working memory and the output's buffers), or the `shards` asked for.
 */
export function sizeJoin(opts: {
  ds2Bytes: number;
  memoryLimit?: string;
  concurrentTasks: number;
  totalMemory?: number;
  shards?: number;
}): JoinSizing {
  const ds2MemoryBytes = opts.ds2Bytes * DS2_MEMORY_PER_PARQUET_BYTE;
  const perTask = taskMemoryBytes(opts);
  if (opts.shards !== undefined) {
    return {
      buckets: opts.shards,
      ds2MemoryBytes,
      taskMemoryBytes: perTask,
      reason: `shards=${opts.shards} asked for`,
    };
  }
  const buckets = bucketsForMemory(ds2MemoryBytes, perTask);
  const fits = `DS2's hash table (~${gb(ds2MemoryBytes)})`;
  const reason =
    buckets === 1
      ? `${fits} fits half of a task's ${gb(perTask)}: one join per DS1 file group`
      : `${fits} exceeds half of a task's ${gb(perTask)}: shuffled into ${buckets} visitor_id buckets`;
  return { buckets, ds2MemoryBytes, taskMemoryBytes: perTask, reason };
}

/** The bucket count of sizeJoin. */
export function chooseBuckets(opts: Parameters<typeof sizeJoin>[0]): number {
  return sizeJoin(opts).buckets;
}

export interface Ds1Selection {
  files: ObjectInfo[];
  /** The partition folder or the glob plus the date, for messages and the report. */
  partition: string;
}

/**
 * The run date's DS1 files. A root reads `<root>/dt=<date>/`; a path that already names a `dt=`
 * folder is read as it is; a glob keeps the matches under a `dt=<date>` folder. No files for the
 * date is an empty partition (a 0-row result); no files in the dataset at all is missing input.
 */
export async function selectDs1(spec: string, runDate: string): Promise<Ds1Selection> {
  const segment = `dt=${runDate}`;
  if (hasGlob(spec)) {
    const all = await resolveDataset(spec);
    if (all.length === 0) throw missingInput(`no DS1 Parquet files match ${spec}`);
    return {
      files: all.filter((f) => f.uri.split('/').includes(segment)),
      partition: `${spec} (${segment})`,
    };
  }
  const explicit = /(^|\/)dt=[^/]+\/?$/.test(spec);
  const partition = explicit ? spec : joinUri(spec, segment);
  const files = await resolveDataset(partition);
  if (files.length === 0 && (explicit || (await resolveDataset(spec)).length === 0)) {
    throw missingInput(`no DS1 Parquet files found at ${explicit ? partition : spec}`);
  }
  return { files, partition };
}
