// identity-join: the daily DS1 (visitor events) x DS2 (LiveRamp) join (DESIGN 3.1).
import { z } from 'zod';
import { ADDED_COLUMNS } from '../activities/identity-join/types.js';
import { pipelineOutput, RAW } from '../lib/datasets.js';
import { identityJoin } from '../workflows/identity-join.js';
import { commaList, datasetUri, positiveInt, shardCount } from './params.js';
import { definePipeline } from './types.js';

const params = z.object({
  ds1: datasetUri().describe('DS1 root (reads its dt=<date> partition), a dt= folder or a glob'),
  ds2: datasetUri().describe('DS2 (visitor_id, lvr_id, pii, ip) Parquet'),
  columns: commaList('DS1 columns')
    .refine((cols) => !cols.some((c) => (ADDED_COLUMNS as readonly string[]).includes(c)), {
      error: (iss) =>
        `must not name ${(iss.input as string[]).filter((c) => (ADDED_COLUMNS as readonly string[]).includes(c)).join(', ')}: the join adds those columns`,
    })
    .optional()
    .describe('comma-separated DS1 columns to keep; default all'),
  output: datasetUri().describe('output prefix'),
  targetFileMB: positiveInt().default(128).describe('target output file size in MB'),
  shards: shardCount()
    .optional()
    .describe(
      'visitor_id buckets; default automatic from the DS2 size and DAYBREAK_DUCKDB_MEMORY_LIMIT (at most 256)',
    ),
});

export type IdentityJoinParams = z.output<typeof params>;

export default definePipeline({
  name: 'identity-join',
  description: 'Daily DS1 x LiveRamp join on visitor_id, PII hashed to sha2 before the join',
  owner: 'identity',
  workflow: identityJoin,
  activities: async () => (await import('../activities/identity-join/index.js')).createIdentityJoinActivities,
  params,
  inputs: { ds1: RAW.visitorEvents, ds2: RAW.liveramp },
  output: pipelineOutput('identity-join'),
  alerts: { route: 'default', slaSeconds: 4 * 3600 },
  // Half of the day's DS1 rows at least find their visitor in DS2 (skipped on a day without events):
  // less means a DS2 export short of visitors or a changed visitor_id format.
  checks: { report: { matchRate: { min: 0.5 } } },
});
