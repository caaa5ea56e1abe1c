// Shapes passed between the generic SQL-pipeline workflow and its activities: paths and counts,
// never rows. Type-only for the workflow.
import type { BucketHash } from '../../lib/buckets.js';
import type { CheckResult } from '../../lib/quality/checks.js';
import type { OutputColumn } from '../../lib/sql-pipelines/bind.js';
import type { SqlPipelineParams } from '../../lib/sql-pipelines/params.js';
import type { ObjectInfo } from '../../lib/storage/index.js';
import type { ManifestFile } from '../../lib/storage/manifest.js';

/** One input as the plan found it: its files and what the lineage records. */
export interface PlannedInput {
  dataset: string;
  /** The prefix (or path) read: e.g. `<root>/curated/identity-join/dt=2025-01-02`. */
  uri: string;
  files: ObjectInfo[];
  bytes: number;
  /** Logical date of the partition read (unset: an unpartitioned dataset or an explicit path). */
  partition?: string;
  /** The `_SUCCESS` manifest it read (another pipeline's output): when it was written. */
  manifestCreatedAt?: string;
  /** Files whose columns stand for an input with no files (an empty partition). */
  schemaFiles?: string[];
}

/** One query task: the files each input's view reads in it. */
export interface SqlTask {
  task: number;
  tasks: number;
  /** View name -> files (mode map: a group of the first input's files; the others whole). */
  views: Record<string, string[]>;
  /**
   * Inputs with no files: view name -> files giving its columns (the view is empty). A shuffle's
   * reduce task starts with every input here and reads the bucket's partitions of those that
   * have some.
   */
  emptyViews: Record<string, string[]>;
  /** mode shuffle: the bucket this task reduces, from the partitions under the run's work prefix. */
  shuffled?: { bucket: number; workUri: string };
}

/** mode shuffle: how the inputs are split, and why into this many buckets. */
export interface SqlShufflePlan {
  shardBy: string;
  /** 1: everything fits one task, which runs the query as mode single would (no map stage). */
  buckets: number;
  bucketHash: BucketHash;
  workUri: string;
  /** The inputs' estimated in-memory bytes in a reduce, all buckets together. */
  memoryBytes: number;
  /** What one task's DuckDB may use (DAYBREAK_DUCKDB_MEMORY_LIMIT, or its share of 80% of RAM). */
  taskMemoryBytes: number;
  /** Why this many buckets, in words (the Web UI shows the plan). */
  reason: string;
  /** Per input (view name): its map groups, each split into batches of files; empty for one bucket. */
  maps: Record<string, string[][][]>;
}

/** What a shuffle's map stage did (the report's `shuffle`). */
export interface SqlShuffleReport {
  shardBy: string;
  buckets: number;
  reason: string;
  mapTasks: number;
  /** Input bytes the maps read: each input file once. */
  inputBytesRead: number;
  partitionFiles: number;
  partitionBytes: number;
  /** Files a killed map's retry did not read again. */
  filesResumed: number;
  mapMs: number;
  reduceMs: number;
}

export interface SqlPipelinePlan {
  mode: SqlPipelineParams['definition']['mode'];
  inputs: Record<string, PlannedInput>;
  tasks: SqlTask[];
  /** The query's output columns, bound against the inputs. */
  columns: OutputColumn[];
  inputBytes: number;
  /** mode shuffle: the buckets and map groups. */
  shuffle?: SqlShufflePlan;
}

export interface SqlTaskResult {
  task: number;
  files: ManifestFile[];
  /** Rows of this task's first-input files (from their footers). */
  inputRows: number;
  rows: number;
  bytesRead: number;
  bytesWritten: number;
}

/** What the manifest's report and the run's result say. */
export interface SqlPipelineReport {
  pipeline: string;
  file: string;
  digest: string;
  mode: SqlPipelinePlan['mode'];
  tasks: number;
  inputRows: number;
  rowsOut: number;
  files: number;
  bytesRead: number;
  bytesWritten: number;
  /** Lineage: what each input was read from. */
  inputs: Record<string, Omit<PlannedInput, 'files' | 'schemaFiles'> & { files: number }>;
  /** mode shuffle with more than one bucket: the map stage's figures. */
  shuffle?: SqlShuffleReport;
  checks: CheckResult[];
}

export interface SqlPipelineResult extends SqlPipelineReport {
  output: string;
  columns: OutputColumn[];
  durationMs: number;
}
