// The daily DAG's contract, shared by the workflow, its activities and the clients that build its
// input (schedules, CLI): its input and result, and the `dagState` query (`daybreak status --grid`).
import { defineQuery } from '@temporalio/workflow';
import type { BranchInput } from './sensors.js';

/** The DAG runs as workflow type `daily`, id `daily/<date>`, search attribute `Pipeline=daily`. */
export const DAILY_PIPELINE = 'daily';

/** One pipeline of the DAG. Built client-side from the catalogue (pipelines/dag.ts). */
export interface DailyBranch {
  /** Pipeline name: the child's workflow id is `<pipeline>/<date>`, its `Pipeline` search attribute. */
  pipeline: string;
  /** Workflow type the child runs (the name of its definition's workflow function). */
  workflowType: string;
  /** Typed parameters, already built by the client. */
  params?: unknown;
  /**
   * Operator parameters (`key=value`) built into typed parameters at run time, on a worker, with
   * the run's logical date; `{date}` in a value is replaced by the logical date first.
   */
  rawParams?: Record<string, string>;
  /** Pipelines of this DAG that must complete first. */
  dependsOn: string[];
  /**
   * Inputs whose `_SUCCESS` manifest must exist before the child starts (URI prefixes, with the
   * dataset when declared); `{date}` is replaced. Waited for by sensors (workflows/common/sensor.ts).
   */
  inputs: BranchInput[];
  /** Memo of the child run (e.g. `alertRoute`). */
  memo?: Record<string, unknown>;
  /**
   * A SQL pipeline's definition (lib/sql-pipelines/definition.ts; opaque to the DAG): workers build
   * the branch's parameters from it, so a schedule runs the SQL that was applied.
   */
  sql?: unknown;
}

export interface SensorOptions {
  /** How often a sensor looks for the manifest. */
  pokeIntervalMs: number;
  /** How long a sensor waits, from the start of the DAG run, before failing with InputMissing. */
  timeoutMs: number;
}

/**
 * Which branches of a date a DAG run leaves alone: `failed` (default) runs again only what did not
 * complete and publish; `stale` also what was published on inputs republished since, and
 * everything downstream of whatever runs again; `all` runs everything.
 */
export type RerunMode = 'failed' | 'stale' | 'all';

export interface DailyInput {
  /** Logical date; omitted in scheduled runs, which derive it from their scheduled time. */
  runDate?: string;
  /** Time zone and day offset of the schedule, to turn the scheduled time into a logical date. */
  timeZone?: string;
  logicalDateOffsetDays?: number;
  branches: DailyBranch[];
  /** `failed` (default): a child whose last run for the date completed (and whose output has a manifest) is not run again; see RerunMode. */
  rerun?: RerunMode;
  sensor?: SensorOptions;
}

export type BranchStatus = 'completed' | 'failed' | 'skipped' | 'up-to-date';

export interface BranchOutcome {
  pipeline: string;
  workflowId: string;
  status: BranchStatus;
  runId?: string;
  /** Root cause of a failure, or why the branch was skipped / left alone. */
  error?: { type: string; message: string };
  reason?: string;
  durationMs?: number;
  /** The child's result (pipelines return small summaries, never data). */
  result?: unknown;
}

export interface DailyResult {
  runDate: string;
  /** Where the logical date came from: the operator, or the schedule's nominal time. */
  dateSource: 'input' | 'scheduled-time';
  scheduledTime?: string;
  outcomes: BranchOutcome[];
  failed: string[];
}

/** What `planDaily` found for one branch before anything runs. */
export interface BranchPlan {
  pipeline: string;
  params?: unknown;
  /** Parameters that could not be built: the branch fails with this message, the others go on. */
  paramError?: string;
  /** The last run of `<pipeline>/<date>` completed and its output is published: nothing to do. */
  upToDate?: { runId: string; reason: string };
}

/** Where a branch is now, for on-call views (`daybreak status --grid`). */
export type BranchState = 'pending' | 'waiting' | 'running' | BranchStatus;

export interface DagState {
  runDate: string;
  branches: { pipeline: string; state: BranchState; workflowId: string; waitingFor?: string[] }[];
}

export const dagStateQuery = defineQuery<DagState>('dagState');
