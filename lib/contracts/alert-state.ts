// The updates of the alert dedup state workflow (workflows/alert-state.ts), shared with its
// client side (alerts/dedup.ts).
import { defineUpdate } from '@temporalio/workflow';

/** Opens an alert of an error class: true when it is new in the window (send), false if open (suppress). */
export const openAlertUpdate = defineUpdate<boolean, [string]>('openAlert');
/** Resolves the scope: returns the classes that were open and ends the state workflow. */
export const resolveAlertsUpdate = defineUpdate<string[], []>('resolveAlerts');
