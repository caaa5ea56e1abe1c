// Inputs of the alert activities, shared with the workflow interceptor (type-only).

/** Who a run is, as the workflow interceptor sees it. */
export interface RunRef {
  pipeline: string;
  runDate?: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  /** Alert route from the schedule's memo (`alertRoute`); default route when absent. */
  route?: string;
  /** Workflow start (ms since epoch, workflow time). */
  startedAtMs: number;
}

export interface RunFailureInput extends RunRef {
  errorClass: string;
  errorMessage: string;
  /** Workflow-level attempt; activity attempts are read from history by the activity. */
  workflowAttempt: number;
  /** When the run failed for good (workflow time): `daybreak_alert_latency_seconds` counts from it. */
  failedAtMs?: number;
}

export interface SlaMissedInput extends RunRef {
  slaSeconds: number;
  /** The time the SLA counts from (scheduled time, else run start), ms since epoch. */
  slaStartMs: number;
}

export interface WatchdogInput {
  taskQueues: string[];
  staleSeconds: number;
  route?: string;
}

export interface QueueHealth {
  taskQueue: string;
  live: boolean;
  /** Seconds since the freshest poller's last access; undefined when no poller is known. */
  freshestPollerAgeSeconds?: number;
  pollers: string[];
  alert?: 'sent' | 'suppressed' | 'resolved';
}

/** The alert activities' signatures, for workflow proxies (type-only). */
export type AlertActivities = import('./index.js').AlertActivities;

export type { RedeliveryInput, RedeliveryResult } from '../../alerts/types.js';
