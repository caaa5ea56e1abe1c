// Custom search attributes registered on the server and set on every run, so on-call can find
// runs in the Web UI by pipeline and logical date.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PipelineKey = defineSearchAttributeKey('Pipeline', SearchAttributeType.KEYWORD);
export const RunDateKey = defineSearchAttributeKey('RunDate', SearchAttributeType.DATETIME);
