// Alert decisions shared by the alert activities, the activity interceptor (worker lost) and the
// watchdog: build the alert (redacted message, runbook steps, Web UI link), dedup it through the
// durable alert state, deliver it.
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import { webUiRunUrl } from '../lib/temporal.js';
import { alertsSuppressed } from '../lib/metrics.js';
import { deliverAlert, type AlertLogger, type DeliverOptions } from './deliver.js';
import { openAlert, resolveAlerts } from './dedup.js';
import { redact } from './redact.js';
import { runbookIndex } from './runbook-index.js';
import type { Alert, ChannelResult } from './types.js';

export interface AlertContext {
  config: Config;
  client: Client;
  /** Task queue the dedup state workflow runs on (the worker's own). */
  taskQueue: string;
  log?: AlertLogger;
  deliver?: DeliverOptions;
}

export interface RaiseResult {
  sent: boolean;
  channels: ChannelResult[];
}

/** Fills in what every alert carries: redacted message, Web UI link, best runbook section. */
export function enrichAlert(config: Config, alert: Alert): Alert {
  const errorMessage = alert.errorMessage === undefined ? undefined : redact(alert.errorMessage);
  const wantsRunbook = alert.kind !== 'resolved' && alert.kind !== 'workers-back';
  const match = wantsRunbook
    ? runbookIndex(config.DAYBREAK_DATA_ROOT).best(alert.errorClass, errorMessage ?? alert.kind)
    : undefined;
  return {
    ...alert,
    errorMessage,
    webUiUrl:
      alert.webUiUrl ?? (alert.workflowId ? webUiRunUrl(config, alert.workflowId, alert.runId) : undefined),
    runbook:
      alert.runbook ??
      (match
        ? {
            title: match.title,
            file: match.file,
            steps: match.steps,
            ...(match.source ? { source: match.source } : {}),
          }
        : undefined),
  };
}

/** Sends `alert` unless the same (scope, class) alert is open in the dedup window. */
export async function raiseAlert(
  ctx: AlertContext,
  scope: string,
  dedupClass: string,
  alert: Alert,
  routeName?: string,
): Promise<RaiseResult> {
  const isNew = await openAlert(ctx.client, {
    taskQueue: ctx.taskQueue,
    scope,
    errorClass: dedupClass,
    windowMs: ctx.config.ALERT_DEDUP_WINDOW_MINUTES * 60_000,
  });
  if (!isNew) {
    alertsSuppressed.inc({ kind: alert.kind });
    ctx.log?.info('alert suppressed (already open in its window)', {
      scope,
      kind: alert.kind,
      errorClass: dedupClass,
    });
    return { sent: false, channels: [] };
  }
  const channels = await deliverAlert(ctx.config, enrichAlert(ctx.config, alert), routeName, {
    ...ctx.deliver,
    log: ctx.log,
  });
  return { sent: true, channels };
}

/** Sends one "resolved" message when the scope had open alerts; otherwise nothing. */
export async function resolveScope(
  ctx: AlertContext,
  scope: string,
  alert: Alert,
  routeName?: string,
): Promise<RaiseResult & { resolvedClasses: string[] }> {
  const resolvedClasses = await resolveAlerts(ctx.client, scope);
  if (resolvedClasses.length === 0) return { sent: false, channels: [], resolvedClasses };
  const withClasses: Alert = {
    ...alert,
    facts: { ...alert.facts, Resolves: resolvedClasses.join(', ') },
  };
  const channels = await deliverAlert(ctx.config, enrichAlert(ctx.config, withClasses), routeName, {
    ...ctx.deliver,
    log: ctx.log,
  });
  return { sent: true, channels, resolvedClasses };
}

/** Dedup scope of a pipeline run. */
export function runScope(pipeline: string, runDate: string | undefined): string {
  return `${pipeline}/${runDate ?? 'undated'}`;
}
