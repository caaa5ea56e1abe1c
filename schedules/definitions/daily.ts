// The daily DAG: every catalogue pipeline for yesterday's date, at 02:00 UTC. The order and the
// sensors follow from the datasets the pipelines declare (identity-join waits for the date's
// raw/visitor_events partition, which its export publishes with a _SUCCESS manifest).
import { defineSchedule } from '../types.js';

export default defineSchedule({
  name: 'daily',
  description: 'Every pipeline of the DAG for the previous day',
  pipelines: 'all',
  cron: '0 2 * * *',
  timeZone: 'UTC',
  logicalDateOffsetDays: -1,
  catchupWindow: '1d',
  overlap: 'BUFFER_ALL',
  jitter: '2m',
  params: {},
  sensor: { pokeInterval: '1m', timeout: '6h' },
  slaSeconds: 6 * 3600,
  alertRoute: 'default',
});
