// Daybreak's own Prometheus metrics (prom-client), one registry per process. Label values are
// bounded: pipeline names come from the catalogue the worker runs (anything else is "other"),
// error classes are capped, never ids, dates or messages.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'daybreak_' });

const DURATION_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];

export const runsStarted = new client.Counter({
  name: 'daybreak_runs_started_total',
  help: 'Pipeline runs started (each workflow run once).',
  labelNames: ['pipeline'],
  registers: [registry],
});
export const runsSucceeded = new client.Counter({
  name: 'daybreak_runs_succeeded_total',
  help: 'Pipeline runs completed successfully.',
  labelNames: ['pipeline'],
  registers: [registry],
});
export const runsFailed = new client.Counter({
  name: 'daybreak_runs_failed_total',
  help: 'Pipeline runs failed for good, by root-cause error class.',
  labelNames: ['pipeline', 'error_class'],
  registers: [registry],
});
export const activityDuration = new client.Histogram({
  name: 'daybreak_activity_duration_seconds',
  help: 'Activity attempt duration by activity type, pipeline and outcome.',
  labelNames: ['activity', 'pipeline', 'outcome'],
  buckets: DURATION_BUCKETS,
  registers: [registry],
});
export const activityFailures = new client.Counter({
  name: 'daybreak_activity_failures_total',
  help: 'Failed activity attempts by activity type, pipeline and error class.',
  labelNames: ['activity', 'pipeline', 'error_class'],
  registers: [registry],
});
export const rowsProcessed = new client.Counter({
  name: 'daybreak_rows_processed_total',
  help: 'Input rows processed by pipeline activities.',
  labelNames: ['pipeline'],
  registers: [registry],
});
export const bytesProcessed = new client.Counter({
  name: 'daybreak_bytes_processed_total',
  help: 'Bytes read or written by pipeline activities.',
  labelNames: ['pipeline', 'direction'],
  registers: [registry],
});
export const lastSuccess = new client.Gauge({
  name: 'daybreak_pipeline_last_success_timestamp_seconds',
  help: 'Unix time of the last successful run of a pipeline (seeded from published manifests at start).',
  labelNames: ['pipeline'],
  registers: [registry],
});
export const alertsSent = new client.Counter({
  name: 'daybreak_alerts_sent_total',
  help: 'Alert messages delivered, by channel and kind.',
  labelNames: ['channel', 'kind'],
  registers: [registry],
});
export const alertLatency = new client.Histogram({
  name: 'daybreak_alert_latency_seconds',
  help: "Seconds from a run's final failure to its alert's delivery (the alert lane's promise: seconds, not a shard's hours).",
  labelNames: ['kind'],
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
  registers: [registry],
});
export const alertDeliveryFailures = new client.Counter({
  name: 'daybreak_alert_delivery_failures_total',
  help: 'Alert messages a channel failed to deliver after its retries.',
  labelNames: ['channel'],
  registers: [registry],
});
export const alertsUndelivered = new client.Counter({
  name: 'daybreak_alerts_undelivered_total',
  help: 'Alerts some channel failed to deliver, handed to the durable redelivery.',
  labelNames: ['kind'],
  registers: [registry],
});
export const alertsGivenUp = new client.Counter({
  name: 'daybreak_alerts_given_up_total',
  help: 'Alert messages a channel never delivered within ALERT_RETRY_HOURS of redelivery.',
  labelNames: ['channel', 'kind'],
  registers: [registry],
});
export const alertsSuppressed = new client.Counter({
  name: 'daybreak_alerts_suppressed_total',
  help: 'Alerts not sent because the same (pipeline, date, error class) alert is already open.',
  labelNames: ['kind'],
  registers: [registry],
});
export const workersLost = new client.Counter({
  name: 'daybreak_workers_lost_total',
  help: 'Activity attempts retried after another worker stopped heartbeating.',
  labelNames: ['pipeline'],
  registers: [registry],
});
export const slaMissed = new client.Counter({
  name: 'daybreak_sla_missed_total',
  help: 'Runs still going when their schedule SLA passed.',
  labelNames: ['pipeline'],
  registers: [registry],
});

export const attemptLogWriteFailures = new client.Counter({
  name: 'daybreak_attempt_log_write_failures_total',
  help: 'Writes of a per-attempt log (_logs/ under the data root) that failed; the activity went on.',
  labelNames: ['pipeline'],
  registers: [registry],
});

const pipelineNames = new Set<string>();

/** The pipelines whose names are label values (the worker registers its catalogue's). */
export function registerPipelineLabels(names: readonly string[]): void {
  for (const name of names) pipelineNames.add(name);
}

/** A pipeline name safe as a label: a registered pipeline, or "other". */
export function pipelineLabel(name: string | undefined): string {
  return name !== undefined && pipelineNames.has(name) ? name : 'other';
}

const MAX_ERROR_CLASSES = 40;
const seenClasses = new Set<string>();

/** An error class safe as a label: identifier-like, and at most a few dozen distinct values. */
export function errorClassLabel(errorClass: string | undefined): string {
  const value = errorClass ?? 'Error';
  if (!/^[A-Za-z][\w.]{0,47}$/.test(value)) return 'other';
  if (seenClasses.has(value)) return value;
  if (seenClasses.size >= MAX_ERROR_CLASSES) return 'other';
  seenClasses.add(value);
  return value;
}

/** For activities: count rows they processed (call once per finished unit of work). */
export function recordRows(pipeline: string, rows: number): void {
  if (Number.isFinite(rows) && rows > 0) rowsProcessed.inc({ pipeline: pipelineLabel(pipeline) }, rows);
}

/** For activities: count bytes read or written. */
export function recordBytes(pipeline: string, direction: 'read' | 'write', bytes: number): void {
  if (Number.isFinite(bytes) && bytes > 0)
    bytesProcessed.inc({ pipeline: pipelineLabel(pipeline), direction }, bytes);
}

const lastSuccessSeconds = new Map<string, number>();

/** Marks a pipeline's success at `when` (never moves the gauge backwards). */
export function recordLastSuccess(pipeline: string, when: Date = new Date()): void {
  const label = pipelineLabel(pipeline);
  const seconds = when.getTime() / 1000;
  const current = lastSuccessSeconds.get(label);
  if (current !== undefined && seconds <= current) return;
  lastSuccessSeconds.set(label, seconds);
  lastSuccess.set({ pipeline: label }, seconds);
}
