// Sensors (DESIGN 4): a branch of the daily DAG waits for an input's `_SUCCESS` manifest in a
// workflow loop (a quick check activity, then a durable timer), so waiting holds no worker slot.
// A Daybreak pipeline that publishes the awaited output signals the waiting run at once.
import { defineSignal } from '@temporalio/workflow';

/** What a sensor waits for: a published prefix, and the dataset it is (for messages and alerts). */
export interface SensorInput {
  /** The prefix whose `_SUCCESS` manifest must exist; `{date}` is replaced by the logical date. */
  uri: string;
  /** `raw/<name>` or `curated/<pipeline>`, when the input is a declared dataset. */
  dataset?: string;
}

/** A sensor input as a branch declares it: a bare URI (schedule inputs), or with its dataset. */
export type BranchInput = string | SensorInput;

export function sensorInput(input: BranchInput): SensorInput {
  return typeof input === 'string' ? { uri: input } : input;
}

/** The run a sensor belongs to: the one to signal. */
export interface SensorOwner {
  workflowId: string;
  runId: string;
}

/** Sent to a waiting run when `uri` (exactly as its sensor registered it) was published. */
export interface InputPublished {
  uri: string;
}

export const inputPublishedSignal = defineSignal<[InputPublished]>('inputPublished');
