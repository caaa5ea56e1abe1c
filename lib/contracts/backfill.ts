// The backfill's contract (`daybreak backfill`), shared by its workflow and the clients that plan
// it: one parent workflow per request runs the planned pipeline-dates as the usual children
// `<pipeline>/<date>`, at most `maxParallel` at once, each after the planned upstream of its date,
// at a lower priority than daily runs.
import { defineQuery } from '@temporalio/workflow';

/** The backfill runs as workflow type `backfill`, id `backfill/<target>/<from>..<to>/<request>`. */
export const BACKFILL_WORKFLOW = 'backfill';

/**
 * Task priority of backfill runs and their activities (1 highest .. 5 lowest): below the default
 * 3 of daily and operator runs, so a daily run's tasks go first when both wait for a worker.
 */
export const BACKFILL_PRIORITY = 4;

/** Which dates a backfill re-runs, each including the ones before: missing < failed < stale < all. */
export type ReprocessMode = 'missing' | 'failed' | 'stale' | 'all';
export const REPROCESS_MODES: readonly ReprocessMode[] = ['missing', 'failed', 'stale', 'all'];

/** One pipeline-date the backfill runs. */
export interface BackfillItem {
  pipeline: string;
  runDate: string;
  /** Workflow type of the pipeline (its definition's workflow function name). */
  workflowType: string;
  /** Typed parameters, built by the planner from the catalogue for the date. */
  params: unknown;
  /** Why it runs: `missing: ...`, `failed: ...`, `stale: ...`, `all`, `downstream of ...`. */
  reason: string;
  /** Planned pipelines of the same date that must complete first. */
  dependsOn: string[];
  memo?: Record<string, unknown>;
}

export interface BackfillInput {
  /** The pipeline or schedule asked for (shown in the Web UI). */
  target: string;
  from: string;
  to: string;
  reprocess: ReprocessMode;
  maxParallel: number;
  items: BackfillItem[];
}

export type BackfillItemState = 'pending' | 'running' | 'completed' | 'failed' | 'skipped';

export interface BackfillItemOutcome {
  pipeline: string;
  runDate: string;
  workflowId: string;
  state: BackfillItemState;
  reason: string;
  runId?: string;
  startedAt?: string;
  closedAt?: string;
  /** Root cause of a failure, or why the item was skipped. */
  error?: { type: string; message: string };
}

export interface BackfillState {
  target: string;
  maxParallel: number;
  done: number;
  running: number;
  failed: number;
  skipped: number;
  remaining: number;
  items: BackfillItemOutcome[];
}

export const backfillStateQuery = defineQuery<BackfillState>('backfillState');
