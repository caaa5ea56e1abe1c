// What an alert says, independent of the channel that carries it. Type-only: workflows import it.

export type AlertKind = 'failure' | 'resolved' | 'sla-missed' | 'worker-lost' | 'no-workers' | 'workers-back';

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

export interface ChannelResult {
  channel: 'email' | 'slack';
  ok: boolean;
  /** Why it failed (never the secret URL). */
  error?: string;
}
