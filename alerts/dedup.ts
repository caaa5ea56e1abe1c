// Client side of the durable dedup state (workflows/alert-state.ts): claim the sending of an alert
// for (scope, error class), then record that a channel delivered it or release the claim; or
// resolve every delivered alert of a scope.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  alertChannelDeliveredUpdate,
  alertDeliveredUpdate,
  claimAlertUpdate,
  releaseAlertUpdate,
  resolutionChannelDeliveredUpdate,
  resolutionDeliveredUpdate,
  resolveAlertsForUpdate,
  resolveAlertsUpdate,
} from '../lib/contracts/alert-state.js';
import type { Channel, DedupKey } from './types.js';

export type { DedupKey } from './types.js';

export const ALERT_STATE_PREFIX = 'daybreak-alerts/';
/** How long a claim holds off other senders of the class: longer than one delivery with its retries. */
export const CLAIM_LEASE_MS = 5 * 60_000;

export function alertStateId(scope: string): string {
  return `${ALERT_STATE_PREFIX}${scope}`;
}

/** Runs an update on the scope's state workflow, starting it when none runs. */
async function updateState<R>(
  client: Client,
  key: DedupKey,
  send: (h: ReturnType<Client['workflow']['getHandle']>) => Promise<R>,
): Promise<R> {
  let lastError: unknown;
  // A state workflow may end (window over) between start and update: start a fresh one then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const handle = await client.workflow.start('alertState', {
      taskQueue: key.taskQueue,
      workflowId: alertStateId(key.scope),
      args: [{ windowMs: key.windowMs }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    try {
      return await send(client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId));
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

export interface Claim {
  /** No alert of the class was delivered in the window nor is being sent: the caller sends it. */
  claimed: boolean;
  /** The claimant's own earlier attempt delivered these: send only the others. */
  channelsDelivered: Channel[];
}

/** Claims the sending of the (scope, class) alert for `key.claimant`. */
export async function claimAlertFor(client: Client, key: DedupKey): Promise<Claim> {
  const answer = await updateState(client, key, (h) =>
    h.executeUpdate(claimAlertUpdate, {
      args: [{ errorClass: key.errorClass, leaseMs: CLAIM_LEASE_MS, claimant: key.claimant }],
    }),
  );
  return typeof answer === 'object'
    ? { claimed: true, channelsDelivered: answer.channelsDelivered as Channel[] }
    : { claimed: answer, channelsDelivered: [] };
}

/** True when this (scope, class) has no alert delivered in the window nor being sent: the caller sends it. */
export async function claimAlert(client: Client, key: DedupKey): Promise<boolean> {
  return (await claimAlertFor(client, key)).claimed;
}

/** One channel took the claimed alert (before the others finish, so a retry skips it). */
export function markChannelDelivered(client: Client, key: DedupKey, channel: Channel): Promise<void> {
  return updateState(client, key, (h) =>
    h.executeUpdate(alertChannelDeliveredUpdate, { args: [{ errorClass: key.errorClass, channel }] }),
  );
}

/** A channel delivered the claimed alert: the class is open (suppressed) for the window. */
export function markAlertDelivered(client: Client, key: DedupKey): Promise<void> {
  return updateState(client, key, (h) => h.executeUpdate(alertDeliveredUpdate, { args: [key.errorClass] }));
}

/**
 * Runs an update on the scope's state workflow without starting one: a state that is gone (never
 * started, or ended) answers `ifEnded`.
 */
async function updateIfRunning<R>(
  client: Client,
  scope: string,
  send: (h: ReturnType<Client['workflow']['getHandle']>) => Promise<R>,
  ifEnded: R,
): Promise<R> {
  try {
    return await send(client.workflow.getHandle(alertStateId(scope)));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || isClosed(err)) return ifEnded;
    throw err;
  }
}

/** No channel delivered it: the next sender of the class, or its retry, sends it. */
export function releaseAlert(client: Client, key: DedupKey): Promise<void> {
  // No state: nothing claimed.
  return updateIfRunning(
    client,
    key.scope,
    (h) => h.executeUpdate(releaseAlertUpdate, { args: [key.errorClass] }),
    undefined,
  );
}

/** Ends the scope's delivered alerts; returns their classes (empty when none was open). */
export function resolveAlerts(client: Client, scope: string): Promise<string[]> {
  return updateIfRunning(client, scope, (h) => h.executeUpdate(resolveAlertsUpdate), []);
}

export interface Resolution {
  /** The classes to send "resolved" for (empty: nothing was open, or another resolver has it). */
  classes: string[];
  /** This resolver's earlier attempt already sent the "resolved" message on these. */
  channelsDelivered: Channel[];
}

/**
 * Resolves the scope's delivered alerts for `claimant` (the same on each of its attempts). The
 * state keeps the resolution until `endResolution`, so a retry after a kill gets the same classes
 * and the channels already sent, instead of an ended state and nothing to send.
 */
export async function resolveAlertsFor(client: Client, scope: string, claimant: string): Promise<Resolution> {
  const r = await updateIfRunning(
    client,
    scope,
    (h) => h.executeUpdate(resolveAlertsForUpdate, { args: [{ claimant, leaseMs: CLAIM_LEASE_MS }] }),
    { classes: [], channelsDelivered: [] },
  );
  return { classes: r.classes, channelsDelivered: r.channelsDelivered as Channel[] };
}

/** One channel took the resolution's message (or a redelivery workflow now has it). */
export function markResolutionChannelDelivered(
  client: Client,
  scope: string,
  channel: Channel,
): Promise<void> {
  // An ended state has nothing left to record.
  return updateIfRunning(
    client,
    scope,
    (h) => h.executeUpdate(resolutionChannelDeliveredUpdate, { args: [{ channel }] }),
    undefined,
  );
}

/** The resolution's message is out on every channel: the scope's state may end. */
export function endResolution(client: Client, scope: string): Promise<void> {
  return updateIfRunning(client, scope, (h) => h.executeUpdate(resolutionDeliveredUpdate), undefined);
}

function isClosed(err: unknown): boolean {
  const message =
    err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : '';
  return /already completed|not found|workflow execution already/i.test(message);
}
