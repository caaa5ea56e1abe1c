// Reads from a run's history what the workflow itself cannot know when it fails: how many attempts
// the failing activity made, which worker ran the last one, and the activity (its log's step).
import type { Client } from '@temporalio/client';
import { localActivityMarker } from '../lib/local-activity-marker.js';

export interface FailureFacts {
  attempts?: number;
  workerIdentity?: string;
  activityType?: string;
  activityId?: string;
}

const num = (v: unknown) => (v === undefined || v === null ? undefined : Number(String(v)));

export async function failureFacts(client: Client, workflowId: string, runId: string): Promise<FailureFacts> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const byId = new Map(events.map((e) => [num(e.eventId), e]));
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    // A local activity (a plan step) that failed for good: its marker says which, and how often.
    const local = localActivityMarker(e);
    if (local?.failed) {
      const completed = byId.get(local.workflowTaskCompletedEventId);
      return {
        attempts: local.attempt,
        workerIdentity: completed?.workflowTaskCompletedEventAttributes?.identity ?? undefined,
        activityType: local.activityType,
        activityId: local.activityId,
      };
    }
    const startedId = num(
      e.activityTaskFailedEventAttributes?.startedEventId ??
        e.activityTaskTimedOutEventAttributes?.startedEventId,
    );
    if (startedId === undefined) continue;
    const started = byId.get(startedId)?.activityTaskStartedEventAttributes;
    const scheduledId = num(
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
        e.activityTaskTimedOutEventAttributes?.scheduledEventId,
    );
    const scheduled = byId.get(scheduledId)?.activityTaskScheduledEventAttributes;
    return {
      attempts: started?.attempt ?? undefined,
      workerIdentity: started?.identity ?? undefined,
      activityType: scheduled?.activityType?.name ?? undefined,
      activityId: scheduled?.activityId ?? undefined,
    };
  }
  // Failed in workflow code (or a child): the last workflow task's worker.
  for (let i = events.length - 1; i >= 0; i--) {
    const identity = events[i]!.workflowTaskCompletedEventAttributes?.identity;
    if (identity) return { attempts: 1, workerIdentity: identity };
  }
  return {};
}
