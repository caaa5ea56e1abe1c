// A run's history as a timeline (where a run's time goes, for BENCHMARKS.md notes): one line per
// event with its time from the first, its type and the activity it belongs to.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export const eventMs = (t: HistoryEvent['eventTime']) =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

export function printTimeline(tag: string, events: HistoryEvent[]): void {
  const t0 = eventMs(events[0]!.eventTime);
  const names = new Map<string, string>();
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) names.set(String(e.eventId), s.activityType?.name ?? '?');
    const ref =
      e.activityTaskStartedEventAttributes?.scheduledEventId ??
      e.activityTaskCompletedEventAttributes?.scheduledEventId;
    const activity = s ? s.activityType?.name : ref ? names.get(String(ref)) : undefined;
    const at = (eventMs(e.eventTime) - t0).toFixed(0).padStart(6);
    console.log(`${at} ms  ${tag} ${String(e.eventType)}${activity ? ` ${activity}` : ''}`);
  }
}

export async function historyOf(client: Client, workflowId: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}
