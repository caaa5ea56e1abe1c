// Types exchanged between the identity-join workflow and its activities (paths, never data).
import type { BucketHash } from '../../lib/buckets.js';
import type { StagedFile } from '../../lib/storage/publish.js';

/** Columns the join adds; a DS1 column of the same name would be ambiguous in the output. */
export const ADDED_COLUMNS = ['lvr_id', 'sha2'] as const;

export interface IdentityJoinPlan {
  /** DS1 files of the run date's partition, split into groups of similar size. */
  ds1Groups: string[][];
  /** DS2 files split into groups, one hashing task each. */
  ds2Groups: string[][];
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
}

export interface IdentityJoinResult extends IdentityJoinReport {
  runDate: string;
  output: string;
}
