// Shapes passed between the generic SQL-pipeline workflow and its activities: paths and counts,
// never rows. Type-only for the workflow.
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
  /** Inputs with no files: view name -> files giving its columns (the view is empty). */
  emptyViews: Record<string, string[]>;
}

export interface SqlPipelinePlan {
  mode: SqlPipelineParams['definition']['mode'];
  inputs: Record<string, PlannedInput>;
  tasks: SqlTask[];
  /** The query's output columns, bound against the inputs. */
  columns: OutputColumn[];
  inputBytes: number;
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
  checks: CheckResult[];
}

export interface SqlPipelineResult extends SqlPipelineReport {
  output: string;
  columns: OutputColumn[];
  durationMs: number;
}
