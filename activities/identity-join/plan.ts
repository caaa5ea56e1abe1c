// Planning identity-join: which DS1 files belong to the run date, and how to cut the work so each
// task's join fits a worker. The hashed DS2 of one bucket is held in memory (DuckDB spills past
// memory_limit, slower), so the bucket count follows DS2's size; DS1 is only streamed through
// the join, so its size sets the number of file groups, not the buckets.
import os from 'node:os';
import { missingInput } from '../../lib/errors.js';
import { autoShards } from '../../lib/shards.js';
import { hasGlob, joinUri, resolveDataset, type ObjectInfo } from '../../lib/storage/index.js';

/** DS1 Parquet bytes per join task. */
export const DS1_BYTES_PER_TASK = 4 * 1024 ** 3;
/** DS2 Parquet bytes per hashing task. */
export const DS2_BYTES_PER_TASK = 2 * 1024 ** 3;
/**
 * Hashed, distinct DS2 in DuckDB's memory per byte of DS2 Parquet: the raw pii/ip compress well
 * but the 64-character sha2 does not (~120 B a row in memory vs ~25 B in Parquet on generated data).
 */
export const DS2_MEMORY_PER_PARQUET_BYTE = 5;

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/** "4GB" -> bytes (the forms lib/config.ts accepts). */
export function parseByteSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(value.trim());
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`not a byte size: ${JSON.stringify(value)}`);
  return Number(m[1]) * unit;
}

/** visitor_id buckets so one bucket's hashed DS2 takes at most half a task's memory. */
export function chooseBuckets(opts: {
  ds2Bytes: number;
  memoryLimit?: string;
  concurrentTasks: number;
  totalMemory?: number;
}): number {
  const perTask = opts.memoryLimit
    ? parseByteSize(opts.memoryLimit)
    : ((opts.totalMemory ?? os.totalmem()) * 0.8) / Math.max(1, opts.concurrentTasks);
  const needed = opts.ds2Bytes * DS2_MEMORY_PER_PARQUET_BYTE;
  return autoShards(needed, perTask / 2);
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
