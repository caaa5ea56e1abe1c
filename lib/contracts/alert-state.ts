// The updates of the alert dedup state workflow (workflows/alert-state.ts), shared with its
// client side (alerts/dedup.ts).
import { defineUpdate } from '@temporalio/workflow';

/**
 * A claim's answer: refused (false) or granted (true); granted to the claimant's own retry after
 * its earlier attempt delivered some channels, the channels it need not send again.
 */
export type ClaimAnswer = boolean | { channelsDelivered: string[] };

/**
 * Claims the sending of an alert of an error class: granted when none was delivered in the window
 * and no other sender holds an unexpired claim (send it, recording each channel with
 * `alertChannelDelivered`, then `alertDelivered` or `releaseAlert`).
 */
export const claimAlertUpdate = defineUpdate<
  ClaimAnswer,
  [{ errorClass: string; leaseMs: number; claimant?: string }]
>('claimAlert');
/**
 * One channel took the claimed alert: a retry of the same sender (killed before it finished)
 * sends only the others.
 */
export const alertChannelDeliveredUpdate = defineUpdate<void, [{ errorClass: string; channel: string }]>(
  'alertChannelDelivered',
);
/** A channel delivered the claimed alert: it is now open for the window (the same class is suppressed). */
export const alertDeliveredUpdate = defineUpdate<void, [string]>('alertDelivered');
/** No channel delivered the claimed alert: drop the claim, so the next sender (or a retry) sends it. */
export const releaseAlertUpdate = defineUpdate<void, [string]>('releaseAlert');
/**
 * Before delivery outcomes were tracked: opened and counted as delivered at once. Kept so that
 * state workflows started by an earlier release replay; nothing sends it any more.
 */
export const openAlertUpdate = defineUpdate<boolean, [string]>('openAlert');
/** Resolves the scope: returns the classes that were delivered and ends the state workflow. */
export const resolveAlertsUpdate = defineUpdate<string[], []>('resolveAlerts');

/** What a resolver sends "resolved" for, and which channels its earlier attempt already sent it on. */
export interface ResolutionAnswer {
  classes: string[];
  channelsDelivered: string[];
}
/**
 * Resolves the scope for `claimant`, keeping the resolution until its "resolved" message is
 * delivered (`resolutionDelivered`): a retry of the same resolver (killed between the resolve and
 * a channel's delivery) gets the same classes back and the channels already sent, instead of an
 * ended state and nothing to send. Another resolver meanwhile gets no classes.
 */
export const resolveAlertsForUpdate = defineUpdate<ResolutionAnswer, [{ claimant: string; leaseMs: number }]>(
  'resolveAlertsFor',
);
/** One channel took the resolution's "resolved" message (or a redelivery workflow has it). */
export const resolutionChannelDeliveredUpdate = defineUpdate<void, [{ channel: string }]>(
  'resolutionChannelDelivered',
);
/** The resolution's message is out on every channel: the state workflow may end. */
export const resolutionDeliveredUpdate = defineUpdate<void, []>('resolutionDelivered');
