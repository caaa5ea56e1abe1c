// Search attributes of Daybreak runs: the custom ones registered on the server and set on every
// run (on-call finds runs in the Web UI by pipeline and logical date), and the one the server sets
// on runs a schedule starts.
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export const PipelineKey = defineSearchAttributeKey('Pipeline', SearchAttributeType.KEYWORD);
export const RunDateKey = defineSearchAttributeKey('RunDate', SearchAttributeType.DATETIME);
/** Set by the server on every run a schedule starts (also on backfills and triggers). */
export const ScheduledStartTimeKey = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

/** `Pipeline` and `RunDate` of run `<pipeline>/<runDate>`. */
export function runSearchAttributes(pipeline: string, runDate: string): SearchAttributePair[] {
  return [
    { key: PipelineKey, value: pipeline },
    { key: RunDateKey, value: new Date(`${runDate}T00:00:00Z`) },
  ];
}

/** The logical date a `RunDate` attribute holds (undefined when the run has none). */
export function runDateOfAttribute(value: Date | undefined): string | undefined {
  return value?.toISOString().slice(0, 10);
}
