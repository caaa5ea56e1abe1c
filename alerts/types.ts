// What an alert says, independent of the channel that carries it. Type-only: workflows import it.

export const ALERT_KINDS = [
  'failure',
  'resolved',
  'sla-missed',
  'worker-lost',
  'no-workers',
  'workers-back',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface RunbookRef {
  title: string;
  file: string;
  steps: string[];
  /** The imported page it came from (`daybreak runbook import`); else a shipped alerts/runbooks/ file. */
  source?: string;
}

/** Where on-call reads a runbook section: its imported source page, or the shipped file. */
export function runbookWhere(ref: RunbookRef): string {
  return ref.source ?? `alerts/runbooks/${ref.file}`;
}

export interface Alert {
  kind: AlertKind;
  /** Pipeline name, or the task queue for watchdog alerts. */
  pipeline: string;
  runDate?: string;
  workflowId?: string;
  runId?: string;
  errorClass?: string;
  /** Root-cause message, already redacted. */
  errorMessage?: string;
  attempts?: number;
  durationMs?: number;
  workerIdentity?: string;
  webUiUrl?: string;
  runbook?: RunbookRef;
  /** Extra labelled lines (SLA, lost worker, queue state). */
  facts?: Record<string, string>;
}

/** Where an alert goes: resolved from a route name (alerts/routes.ts) at send time. */
export interface ResolvedRoute {
  name: string;
  email?: { from: string; to: string[] };
  slack?: { name: string; webhookUrl: string };
}

export type Channel = 'email' | 'slack';
export const CHANNELS: readonly Channel[] = ['email', 'slack'];

export interface ChannelResult {
  channel: Channel;
  ok: boolean;
  /** Why it failed (never the secret URL). */
  error?: string;
}

/** The dedup state an alert is claimed in: one class of one scope (alerts/dedup.ts). */
export interface DedupKey {
  taskQueue: string;
  scope: string;
  errorClass: string;
  windowMs: number;
  /**
   * Who sends it: the same alerting activity on every attempt (`<workflowId>/<runId>/<activityId>`).
   * A retry of a sender that died mid-delivery takes its own claim over instead of being
   * suppressed by it.
   */
  claimant?: string;
}

/** What the durable redelivery of an alert carries (workflows/alert-redelivery.ts). */
export interface RedeliveryInput {
  /** The alert as first sent (already redacted and enriched). */
  alert: Alert;
  route?: string;
  /** The channels that failed. */
  channels: Channel[];
  /** Set while no channel delivered it: each attempt claims the class first (another may have sent it). */
  dedup?: DedupKey;
  /** Give up after this long (ALERT_RETRY_HOURS). */
  retryForMs: number;
  /** First wait before a retry (ALERT_RETRY_FIRST_SECONDS); doubles up to 30 minutes. */
  firstRetryMs: number;
}

export interface RedeliveryResult {
  attempts: number;
  /** Another sender delivered the class first. */
  superseded: boolean;
  /** Channels still failing when it gave up (empty: every channel delivered it). */
  undelivered: Channel[];
}
