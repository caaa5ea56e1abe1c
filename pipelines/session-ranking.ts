// session-ranking: top N expert users per month by total session time (DESIGN 3.2).
import { z } from 'zod';
import { pipelineOutput, RAW } from '../lib/datasets.js';
import { sessionRanking } from '../workflows/session-ranking.js';
import { datasetUri, oneOf, positiveInt, shardCount } from './params.js';
import { definePipeline } from './types.js';

export const EXPERTS_STEP_MODES = ['auto', 'always', 'never'] as const;
export type ExpertsStepMode = (typeof EXPERTS_STEP_MODES)[number];

const params = z.object({
  activity: datasetUri().describe('user_activity Parquet (file, dir, glob or gs:// URI)'),
  profile: datasetUri().describe('user_profile Parquet'),
  year: positiveInt()
    .refine((y) => y >= 1900 && y <= 9999, {
      error: (iss) => `must be a four-digit year; got ${String(iss.input)}`,
    })
    .optional()
    .describe('year to rank; default the latest year in the data'),
  top: positiveInt().default(10).describe('users per month'),
  output: datasetUri().describe('output prefix'),
  shards: shardCount('one reduce task each')
    .optional()
    .describe('id buckets; default automatic from the input size (one per 512 MB, at most 256)'),
  /**
   * Whether the expert ids get a step of their own (written once, read by every map) instead of
   * each map query deriving them from the profile; `auto` (also when unset, as in runs started
   * before the parameter existed) decides by the profile's size.
   */
  expertsStep: oneOf(EXPERTS_STEP_MODES)
    .default('auto')
    .describe(
      'auto: a separate experts step only for a profile over 64 MB; always; or never (each map reads the profile)',
    ),
});

export type SessionRankingParams = z.output<typeof params>;

export default definePipeline({
  name: 'session-ranking',
  description: 'Top N expert users per month by total session time',
  owner: 'data-platform',
  workflow: sessionRanking,
  activities: async () =>
    (await import('../activities/session-ranking/index.js')).createSessionRankingActivities,
  params,
  inputs: { activity: RAW.userActivity, profile: RAW.userProfile },
  output: pipelineOutput('session-ranking'),
  alerts: { route: 'default', slaSeconds: 6 * 3600 },
  // No default checks: an empty month is a valid result (a year without sessions gives 12). Its
  // publish step offers the figures `nonEmptyMonths` and `gapMonths` (empty months before the last
  // ranked one) to `checks: { report: { nonEmptyMonths: { min: 12 } } }` where a site wants them.
});
