// Alert decisions shared by the alert activities, the activity interceptor (worker lost) and the
// watchdog: build the alert (redacted message, runbook steps, Web UI link), dedup it through the
// durable alert state, deliver it. An alert counts as sent (suppressing the same class for the
// window) only once a channel delivered it; the channels that failed get it again from a durable
// redelivery workflow (workflows/alert-redelivery.ts) that retries with backoff for hours.
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import { webUiRunUrl } from '../lib/temporal.js';
import { alertsSuppressed, alertsUndelivered } from '../lib/metrics.js';
import { deliverAlert, type AlertLogger, type DeliverOptions } from './deliver.js';
import { randomUUID } from 'node:crypto';
import {
  claimAlert,
  claimAlertFor,
  endResolution,
  markAlertDelivered,
  markChannelDelivered,
  markResolutionChannelDelivered,
  releaseAlert,
  resolveAlerts,
  resolveAlertsFor,
  type Resolution,
} from './dedup.js';
import { redact } from '../lib/redact.js';
import { runbookIndex } from './runbook-index.js';
import {
  CHANNELS,
  type Alert,
  type Channel,
  type ChannelResult,
  type DedupKey,
  type RedeliveryInput,
} from './types.js';

export interface AlertContext {
  config: Config;
  client: Client;
  /** Task queue the dedup state workflow runs on (the worker's own). */
  taskQueue: string;
  log?: AlertLogger;
  deliver?: DeliverOptions;
  /** The sender, the same on each of its attempts (see DedupKey.claimant). */
  claimant?: string;
}

export interface RaiseResult {
  /** A channel delivered it (or none is configured). */
  sent: boolean;
  channels: ChannelResult[];
  /** The channels that failed, left to the durable redelivery. */
  redelivering?: Channel[];
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

function dedupKey(ctx: AlertContext, scope: string, errorClass: string): DedupKey {
  return {
    taskQueue: ctx.taskQueue,
    scope,
    errorClass,
    windowMs: ctx.config.ALERT_DEDUP_WINDOW_MINUTES * 60_000,
    claimant: ctx.claimant,
  };
}

/**
 * Sends `alert` unless the same (scope, class) alert was delivered in the dedup window (or another
 * worker is sending it right now). No channel delivered it: the claim is released, so the class
 * is not silenced, and the redelivery retries it.
 */
export async function raiseAlert(
  ctx: AlertContext,
  scope: string,
  dedupClass: string,
  alert: Alert,
  routeName?: string,
): Promise<RaiseResult> {
  return (await claimThenRaiseAlert(ctx, scope, dedupClass, alert, routeName)).delivery;
}

/**
 * raiseAlert in two steps: resolves once the (scope, class) is claimed, or found delivered, with
 * the delivery still going. A caller that must not wait for the channels (a retried attempt's
 * worker-lost alert) still has the class open in the alert state, so a success that follows at
 * once waits for the delivery and resolves it.
 */
export async function claimThenRaiseAlert(
  ctx: AlertContext,
  scope: string,
  dedupClass: string,
  alert: Alert,
  routeName?: string,
): Promise<{ delivery: Promise<RaiseResult> }> {
  const key = dedupKey(ctx, scope, dedupClass);
  const claim = await claimAlertFor(ctx.client, key);
  if (!claim.claimed) {
    alertsSuppressed.inc({ kind: alert.kind });
    ctx.log?.info('alert suppressed (already delivered in its window)', {
      scope,
      kind: alert.kind,
      errorClass: dedupClass,
    });
    return { delivery: Promise.resolve({ sent: false, channels: [] }) };
  }
  return { delivery: deliverClaimed(ctx, key, alert, routeName, claim.channelsDelivered) };
}

/**
 * Delivers a claimed alert on the route's channels, but for those the claimant's earlier attempt
 * delivered (`done`); each channel that takes it is recorded at once.
 */
async function deliverClaimed(
  ctx: AlertContext,
  key: DedupKey,
  alert: Alert,
  routeName: string | undefined,
  done: readonly Channel[],
): Promise<RaiseResult> {
  const enriched = enrichAlert(ctx.config, alert);
  let channels: ChannelResult[];
  try {
    channels = await deliverAlert(ctx.config, enriched, routeName, {
      ...ctx.deliver,
      log: ctx.log,
      ...channelsLeft(done),
      onDelivered: (channel) => markChannelDelivered(ctx.client, key, channel),
    });
  } catch (err) {
    if (done.length === 0) await releaseAlert(ctx.client, key);
    throw err;
  }
  const delivered = done.length > 0 || channels.length === 0 || channels.some((c) => c.ok);
  if (delivered) await markAlertDelivered(ctx.client, key);
  else await releaseAlert(ctx.client, key);
  const failed = channels.filter((c) => !c.ok).map((c) => c.channel);
  if (failed.length > 0)
    await startRedelivery(ctx, {
      alert: enriched,
      route: routeName,
      channels: failed,
      dedup: delivered ? undefined : key,
    });
  return { sent: delivered, channels, redelivering: failed.length > 0 ? failed : undefined };
}

/** Delivery options sending only the channels an earlier attempt did not (all when it sent none). */
function channelsLeft(done: readonly Channel[]): { channels?: Channel[] } {
  return done.length ? { channels: CHANNELS.filter((c) => !done.includes(c)) } : {};
}

/** Hands the failed channels of an alert to a durable redelivery workflow (its own id: never merged). */
async function startRedelivery(
  ctx: AlertContext,
  input: Omit<RedeliveryInput, 'retryForMs' | 'firstRetryMs'>,
) {
  alertsUndelivered.inc({ kind: input.alert.kind });
  await ctx.client.workflow.start('alertRedelivery', {
    taskQueue: ctx.taskQueue,
    workflowId: `${REDELIVERY_PREFIX}${input.alert.kind}/${randomUUID()}`,
    args: [
      {
        ...input,
        retryForMs: ctx.config.ALERT_RETRY_HOURS * 3_600_000,
        firstRetryMs: ctx.config.ALERT_RETRY_FIRST_SECONDS * 1000,
      } satisfies RedeliveryInput,
    ],
  });
  ctx.log?.warn('alert undelivered: redelivery scheduled', {
    kind: input.alert.kind,
    channels: input.channels,
  });
}

export const REDELIVERY_PREFIX = 'daybreak-alert-redelivery/';

/**
 * One redelivery attempt of `channels` (the activity the redelivery workflow retries): claims the
 * class first when nothing delivered the alert yet; returns the channels still failing.
 */
export async function redeliverOnce(
  ctx: AlertContext,
  input: Pick<RedeliveryInput, 'alert' | 'route' | 'channels' | 'dedup'>,
): Promise<{ superseded: boolean; failed: Channel[]; deliveredSome: boolean }> {
  if (input.dedup && !(await claimAlert(ctx.client, input.dedup))) {
    // Another sender delivered this class meanwhile (or is sending it): nothing to add.
    alertsSuppressed.inc({ kind: input.alert.kind });
    return { superseded: true, failed: [], deliveredSome: false };
  }
  const channels = await deliverAlert(ctx.config, input.alert, input.route, {
    ...ctx.deliver,
    log: ctx.log,
    channels: input.channels,
  });
  const deliveredSome = channels.some((c) => c.ok);
  if (input.dedup) {
    if (deliveredSome) await markAlertDelivered(ctx.client, input.dedup);
    else await releaseAlert(ctx.client, input.dedup);
  }
  return { superseded: false, failed: channels.filter((c) => !c.ok).map((c) => c.channel), deliveredSome };
}

/**
 * Sends one "resolved" message when the scope had open alerts; otherwise nothing. With a claimant
 * (every alert activity has one) the state keeps the resolution until the message is out, and
 * records each channel as it takes it: a retry of a resolver killed mid-delivery sends only the
 * channels still missing (the "resolved" was lost before: the retry found the state ended).
 */
export async function resolveScope(
  ctx: AlertContext,
  scope: string,
  alert: Alert,
  routeName?: string,
): Promise<RaiseResult & { resolvedClasses: string[] }> {
  const claimant = ctx.claimant;
  const resolution: Resolution = claimant
    ? await resolveAlertsFor(ctx.client, scope, claimant)
    : { classes: await resolveAlerts(ctx.client, scope), channelsDelivered: [] };
  const resolvedClasses = resolution.classes;
  if (resolvedClasses.length === 0) return { sent: false, channels: [], resolvedClasses };
  const done = resolution.channelsDelivered;
  const withClasses: Alert = {
    ...alert,
    facts: { ...alert.facts, Resolves: resolvedClasses.join(', ') },
  };
  const enriched = enrichAlert(ctx.config, withClasses);
  const channels = await deliverAlert(ctx.config, enriched, routeName, {
    ...ctx.deliver,
    log: ctx.log,
    ...channelsLeft(done),
    ...(claimant
      ? { onDelivered: (channel) => markResolutionChannelDelivered(ctx.client, scope, channel) }
      : {}),
  });
  const failed = channels.filter((c) => !c.ok).map((c) => c.channel);
  if (failed.length > 0) await startRedelivery(ctx, { alert: enriched, route: routeName, channels: failed });
  if (claimant) {
    // The redelivery workflow owns the failed channels now: a retry must not send them too.
    for (const channel of failed) await markResolutionChannelDelivered(ctx.client, scope, channel);
    await endResolution(ctx.client, scope);
  }
  return { sent: true, channels, resolvedClasses };
}

/** Dedup scope of a pipeline run. */
export function runScope(pipeline: string, runDate: string | undefined): string {
  return `${pipeline}/${runDate ?? 'undated'}`;
}
