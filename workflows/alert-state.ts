// Durable alert dedup state, one small workflow per alert scope (`<pipeline>/<date>` or
// `task-queue/<name>`), id `daybreak-alerts/<scope>`. Per error class it holds either a claim (a
// sender is delivering it; expires after its lease, so a sender that died does not silence the
// class; its channels delivered so far are recorded, so a retry of a sender killed mid-delivery
// sends only the rest) or a delivery (the class is open for the window: the same class is suppressed). Only a
// delivered alert suppresses the next ones: an alert no channel took is released and retried.
// `resolveAlerts` returns the delivered classes (send "resolved" when any) and ends it (current
// senders use `resolveAlertsFor`, which keeps the resolution until its message is delivered, so a
// resolver killed mid-delivery resends only what is missing); a class
// still being delivered is waited for (up to RESOLVE_WAITS_FOR_CLAIM_MS) first, so a run that
// succeeds while its worker-lost alert is on its way resolves that alert instead of leaving it
// open for the window. Temporal
// keeps it across worker restarts and serialises concurrent updates from every worker.
import { allHandlersFinished, condition, patched, setHandler } from '@temporalio/workflow';
import {
  alertChannelDeliveredUpdate,
  alertDeliveredUpdate,
  claimAlertUpdate,
  openAlertUpdate,
  releaseAlertUpdate,
  resolutionChannelDeliveredUpdate,
  resolutionDeliveredUpdate,
  resolveAlertsForUpdate,
  resolveAlertsUpdate,
  type ResolutionAnswer,
} from '../lib/contracts/alert-state.js';

/** Longest a resolve waits for a claimed class's delivery: inside the resolve activity's timeout. */
export const RESOLVE_WAITS_FOR_CLAIM_MS = 90_000;

export interface AlertStateInput {
  windowMs: number;
}

interface ClassState {
  at: number;
  /** Delivered (open for the window), or only claimed until `at + leaseMs`. */
  delivered: boolean;
  leaseMs: number;
  /** The sender holding a claim (absent: an older sender, whose claim nobody can take over). */
  claimant?: string;
  /** Channels that took the claimed alert so far. */
  channels?: string[];
}

/** A resolve whose "resolved" message is still being sent; kept until delivered or its lease ends. */
interface PendingResolution {
  claimant: string;
  classes: string[];
  channels: string[];
  at: number;
  leaseMs: number;
}

export async function alertState(input: AlertStateInput): Promise<string[]> {
  const classes = new Map<string, ClassState>();
  let resolved: string[] | undefined;
  let resolution: PendingResolution | undefined;
  const expiresAt = (s: ClassState) => s.at + (s.delivered ? input.windowMs : s.leaseMs);
  const isLive = (s: ClassState | undefined) => s !== undefined && Date.now() < expiresAt(s);

  setHandler(claimAlertUpdate, ({ errorClass, leaseMs, claimant }) => {
    const current = classes.get(errorClass);
    // A retry of the sender that holds the claim (it died after a channel took the alert, before
    // the delivery was recorded) sends again: without this the class stayed claimed, the retry
    // was suppressed and the resolve found nothing delivered (soak finding B).
    const ownRetry = claimant !== undefined && current?.delivered === false && current.claimant === claimant;
    if (isLive(current) && !ownRetry) return false;
    const channels = ownRetry ? current.channels : undefined;
    classes.set(errorClass, { at: Date.now(), delivered: false, leaseMs, claimant, channels });
    // The retry sends only what its killed attempt had not delivered (soak finding D).
    return channels?.length ? { channelsDelivered: [...channels] } : true;
  });
  setHandler(alertChannelDeliveredUpdate, ({ errorClass, channel }) => {
    const current = classes.get(errorClass);
    if (current && !current.delivered && !current.channels?.includes(channel))
      current.channels = [...(current.channels ?? []), channel];
  });
  setHandler(alertDeliveredUpdate, (errorClass) => {
    classes.set(errorClass, { at: Date.now(), delivered: true, leaseMs: 0 });
  });
  setHandler(releaseAlertUpdate, (errorClass) => {
    if (classes.get(errorClass)?.delivered === false) classes.delete(errorClass);
  });
  setHandler(openAlertUpdate, (errorClass) => {
    if (isLive(classes.get(errorClass))) return false;
    classes.set(errorClass, { at: Date.now(), delivered: true, leaseMs: 0 });
    return true;
  });
  /** A resolve ends every class: the delivered ones are what "resolved" is sent for. */
  const takeDeliveredClasses = () => {
    const delivered = [...classes].filter(([, s]) => s.delivered).map(([cls]) => cls);
    classes.clear();
    return delivered;
  };
  const deliveryUnderWay = () => [...classes.values()].some((s) => !s.delivered && isLive(s));
  setHandler(resolveAlertsUpdate, async () => {
    // Histories from before this wait replay without it (it adds a timer).
    if (deliveryUnderWay() && patched('resolve-waits-for-claims'))
      await condition(() => !deliveryUnderWay(), RESOLVE_WAITS_FOR_CLAIM_MS);
    resolved = takeDeliveredClasses();
    return resolved;
  });
  // The resolve of current senders: an update type older histories never had, so no patch.
  const answerFor = (claimant: string): ResolutionAnswer =>
    resolution!.claimant === claimant
      ? { classes: [...resolution!.classes], channelsDelivered: [...resolution!.channels] }
      : { classes: [], channelsDelivered: [] }; // another resolver is sending it
  setHandler(resolveAlertsForUpdate, async ({ claimant, leaseMs }) => {
    if (resolution) return answerFor(claimant);
    if (deliveryUnderWay()) await condition(() => !deliveryUnderWay(), RESOLVE_WAITS_FOR_CLAIM_MS);
    if (resolution) return answerFor(claimant); // a concurrent resolve went first while this waited
    const delivered = takeDeliveredClasses();
    if (delivered.length === 0) {
      resolved = [];
      return { classes: [], channelsDelivered: [] };
    }
    resolution = { claimant, classes: delivered, channels: [], at: Date.now(), leaseMs };
    return { classes: delivered, channelsDelivered: [] };
  });
  setHandler(resolutionChannelDeliveredUpdate, ({ channel }) => {
    if (resolution && !resolution.channels.includes(channel)) resolution.channels.push(channel);
  });
  setHandler(resolutionDeliveredUpdate, () => {
    const done = resolution;
    resolution = undefined;
    // A new alert claimed meanwhile keeps the state going; otherwise it ends here.
    if (done && classes.size === 0) resolved = done.classes;
  });

  // Started just before its first update: give that update time to arrive.
  await condition(() => classes.size > 0 || resolved !== undefined || resolution !== undefined, '1 minute');
  while (resolved === undefined && (classes.size > 0 || resolution !== undefined)) {
    const next = Math.min(
      ...[...classes.values()].map(expiresAt),
      resolution ? resolution.at + resolution.leaseMs : Infinity,
    );
    await condition(() => resolved !== undefined, Math.max(1, next - Date.now()));
    for (const [cls, s] of classes) if (Date.now() >= expiresAt(s)) classes.delete(cls);
    // A resolver that never came back: its retries are over, nothing is left to wait for.
    if (resolution && Date.now() >= resolution.at + resolution.leaseMs) {
      if (classes.size === 0) resolved = resolution.classes;
      resolution = undefined;
    }
  }
  await condition(allHandlersFinished);
  return resolved ?? [];
}
