// The daily DAG: every registered pipeline for yesterday's date, at 02:00 UTC.
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
  inputs: {
    // Upstream exports publish these partitions with a _SUCCESS manifest.
    'identity-join': ['{root}/raw/visitor_events/dt={date}'],
  },
  sensor: { pokeInterval: '1m', timeout: '6h' },
  slaSeconds: 6 * 3600,
  alertRoute: 'default',
});
