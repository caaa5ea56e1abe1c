// Types exchanged between the identity-join workflow and its activities (paths, never data).
import type { BucketHash } from '../../lib/buckets.js';
import type { StagedFile } from '../../lib/storage/publish.js';
import type { ShuffleMapResult } from '../common/shuffle.js';

/** Columns the join adds; a DS1 column of the same name would be ambiguous in the output. */
export const ADDED_COLUMNS = ['lvr_id', 'sha2'] as const;

export interface IdentityJoinPlan {
  /** DS1 files of the run date's partition, split into groups of similar size (none when shuffling). */
  ds1Groups: string[][];
  /** DS2 files split into groups, one hashing task each (none when shuffling). */
  ds2Groups: string[][];
  /**
   * Set when the plan shuffles (DS2 does not fit a task): each input's map groups, each split into
   * batches of files. Unset in one-bucket plans and in runs planned before the shuffle existed
   * (those hash DS2 into buckets and join each bucket against all of DS1).
   */
  shuffle?: { ds1: string[][][]; ds2: string[][][] };
  /** How the bucket count was chosen (unset in runs planned before it was recorded). */
  sizing?: { ds2MemoryBytes: number; taskMemoryBytes: number; reason: string };
  /** visitor_id buckets (shards of the join). */
  buckets: number;
  /** How visitor_ids map to buckets; unset in runs planned before it was recorded (md5-u128). */
  bucketHash?: BucketHash;
  /**
   * One bucket: each join task hashes the raw DS2 files itself (DS2 fits a task), with no hashed
   * copy written and read back. Unset in runs planned before this existed.
   */
  hashDs2InJoin?: boolean;
  /** Where the hashed DS2 goes (under the output prefix; removed when the output is published). */
  workUri: string;
  /** What was read for the date, for messages: the partition folder or the glob. */
  partition: string;
  /** True when the DS1 dataset exists but has no files for the run date. */
  emptyPartition: boolean;
  ds1Bytes: number;
  ds2Bytes: number;
  ds1Files: number;
  ds2Files: number;
}

export interface HashedDs2 {
  group: number;
  rows: number;
  /** Hashed files, by bucket: bucketFiles[b] lists the files of bucket b. */
  bucketFiles: string[][];
}

/** One join task: a visitor_id bucket crossed with a group of DS1 files. */
export interface JoinTask {
  task: number;
  tasks: number;
  bucket: number;
  buckets: number;
  /** The plan's bucket hash (unset: md5-u128, the first one). */
  bucketHash?: BucketHash;
  ds1Files: string[];
  /** The bucket's hashed DS2 files, or with `ds2Raw` the raw DS2 files to hash in the task. */
  ds2Files: string[];
  ds2Raw?: boolean;
  columns?: string[];
  targetFileMB: number;
  output: string;
}

/** The names of the shuffled inputs (their folders under <work>/shuffle). */
export type ShuffledInput = 'ds1' | 'ds2';

/** One shuffle map task of identity-join: one group of one input's files, batch by batch. */
export interface IdentityJoinMapTask {
  group: number;
  groups: number;
  batches: string[][];
  buckets: number;
  /** The plan's bucket hash (unset: md5-u128, the first one). */
  bucketHash?: BucketHash;
  workUri: string;
  /** DS1 only: the DS1 columns asked for (visitor_id is shuffled with them). */
  columns?: string[];
}

/** One reduce task: the join of one bucket's shuffled partitions of DS1 and DS2. */
export interface BucketJoinTask {
  bucket: number;
  buckets: number;
  workUri: string;
  columns?: string[];
  targetFileMB: number;
  output: string;
}

export type IdentityJoinMapResult = ShuffleMapResult;

export interface JoinTaskResult {
  task: number;
  /** DS1 rows of this task's bucket. */
  rowsIn: number;
  /** DS1 rows with at least one DS2 match. */
  matchedRows: number;
  rowsOut: number;
  bytesRead: number;
  bytesWritten: number;
  files: StagedFile[];
  /** DS2 rows with a visitor_id, counted by tasks that hashed the raw DS2 themselves. */
  ds2Rows?: number;
}

export interface IdentityJoinReport extends Record<string, unknown> {
  rowsIn: number;
  rowsOut: number;
  matchedRows: number;
  /** matchedRows / rowsIn (0 when there are no rows). */
  matchRate: number;
  ds2Rows: number;
  /** DS1 partition + DS2 input bytes. */
  bytesRead: number;
  /** Published output bytes. */
  bytesWritten: number;
  shards: number;
  tasks: number;
  files: number;
  emptyPartition: boolean;
  partition: string;
  durationMs: number;
  /** Runs that shuffled: what the maps read and wrote, and where the time went. */
  shuffle?: ShuffleReport;
}

export interface ShuffleReport {
  mapTasks: number;
  /** DS1 bytes the maps read: the DS1 partition's size when every file was read exactly once. */
  ds1BytesRead: number;
  ds2BytesRead: number;
  partitionFiles: number;
  partitionBytes: number;
  /** Input files a retried map did not read again (its killed predecessor had finished them). */
  filesResumed: number;
  /** Wall time of the map phase and of the reduce phase (the joins). */
  mapMs: number;
  reduceMs: number;
  /** Summed over map tasks: DuckDB reading, bucketing and writing partitions; moving them. */
  mapQueryMs: number;
  partitionMoveMs: number;
}

export interface IdentityJoinResult extends IdentityJoinReport {
  runDate: string;
  output: string;
}
