// What a run's history says about a local activity: the SDK records each one, once it finished
// (after its last attempt), as a `core_local_activity` marker whose `data` detail is JSON with the
// activity's type, id and attempt; a failed one carries the failure. The worker that ran it is the
// one that completed the workflow task the marker belongs to.
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface LocalActivityMarker {
  activityType: string;
  activityId: string;
  attempt: number;
  failed: boolean;
  /** The event id of the workflow task completion that recorded it (its worker's identity). */
  workflowTaskCompletedEventId?: number;
}

const MARKER_NAME = 'core_local_activity';

export function localActivityMarker(event: HistoryEvent): LocalActivityMarker | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== MARKER_NAME) return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  let parsed: { activity_type?: unknown; activity_id?: unknown; attempt?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(data).toString('utf8')) as typeof parsed;
  } catch {
    return undefined;
  }
  if (typeof parsed.activity_type !== 'string') return undefined;
  const completed = marker.workflowTaskCompletedEventId;
  return {
    activityType: parsed.activity_type,
    activityId: String(parsed.activity_id ?? ''),
    attempt: Number(parsed.attempt ?? 1),
    failed: Boolean(marker.failure),
    ...(completed === undefined || completed === null
      ? {}
      : { workflowTaskCompletedEventId: Number(String(completed)) }),
  };
}
