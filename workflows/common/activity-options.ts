// Standard activity options. Every activity has explicit timeouts and a retry policy; bad input
// fails once (non-retryable types); long activities heartbeat, so a dead worker is noticed within
// the heartbeat timeout and the shard is retried elsewhere.
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../../lib/errors.js';

const retry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: 5,
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
};

/** Quick steps: planning, listing, publishing manifests. */
export const shortActivity: ActivityOptions = {
  startToCloseTimeout: '5m',
  retry,
};

/**
 * A plan step run as a local activity: in the workflow task that starts the run, on the worker
 * that runs the workflow, with no task-queue round trip and no activity slot (it cannot queue
 * behind shards). A worker lost mid-plan makes the workflow task time out; the next worker plans
 * again. Plans only list and read metadata, so they need no heartbeat.
 */
export const localPlanActivity: LocalActivityOptions = {
  startToCloseTimeout: '5m',
  retry,
};

/**
 * Quick steps that wait on other services and heartbeat while they do (whileHeartbeating in
 * activities/common/heartbeat.ts): publishing (checks, then the commit of the manifest) and the
 * daily plan (a describe per branch, manifest reads). A worker killed mid-step is noticed and
 * the step retried after 30 s, not after the 5-minute start-to-close (soak seed 8: a daily run
 * waited 5 minutes on the plan of a worker killed during a Temporal restart).
 */
export const heartbeatingShortActivity: ActivityOptions = {
  ...shortActivity,
  heartbeatTimeout: '30s',
};

/** Heavy DuckDB work on a shard: heartbeats at least every 30 s. */
export const shardActivity: ActivityOptions = {
  startToCloseTimeout: '4h',
  heartbeatTimeout: '30s',
  retry,
};

/**
 * Alert activities on the alert lane (lib/contracts/alert-lane.ts; the task queue is the caller's).
 * They heartbeat while they deliver (activities/alerts), so a sender whose worker died is retried
 * after the heartbeat timeout, not after the 2-minute start-to-close: a page killed mid-delivery
 * arrives ~30 s late instead of 2 minutes (soak finding D).
 */
export const alertLaneActivity: Omit<ActivityOptions, 'taskQueue'> = {
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', maximumAttempts: 3 },
};

/** A failed run's output clean-up, on the alert lane before its alert; it heartbeats too. */
export const outputCleanupActivity: Omit<ActivityOptions, 'taskQueue'> = {
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', maximumAttempts: 5 },
};
