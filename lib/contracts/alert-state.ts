// The updates of the alert dedup state workflow (workflows/alert-state.ts), shared with its
// client side (alerts/dedup.ts).
import { defineUpdate } from '@temporalio/workflow';

/**
 * Claims the sending of an alert of an error class: true when none was delivered in the window and
 * no other sender holds an unexpired claim (send it, then `alertDelivered` or `releaseAlert`).
 */
export const claimAlertUpdate = defineUpdate<
  boolean,
  [{ errorClass: string; leaseMs: number; claimant?: string }]
>('claimAlert');
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
