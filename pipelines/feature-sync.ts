// feature-sync: compute feature views to Parquet (offline store), then load them into Redis
// with an atomic switch per view (DESIGN 3.3).
import { z } from 'zod';
import { pipelineOutput, RAW } from '../lib/datasets.js';
import { FEATURE_VIEWS } from '../lib/features/views/index.js';
import { featureSync } from '../workflows/feature-sync.js';
import { commaList, datasetUri, shardCount } from './params.js';
import { definePipeline } from './types.js';

const VIEW_NAMES = Object.keys(FEATURE_VIEWS);
const REDIS_URL_FORM = 'must be a redis://host:port URL';

const params = z
  .object({
    records: datasetUri().describe('customer records Parquet (file, dir, glob or gs:// URI)'),
    clusters: datasetUri()
      .optional()
      .describe(
        "model-scoring clusters (record_id, identity_id) Parquet, or 'none' (each record is a customer); default: clustersFrom",
      ),
    clustersFrom: datasetUri().describe(
      'a model-scoring output whose clusters/ is used when it is published (_SUCCESS), else none; ignored when clusters is given',
    ),
    aliases: datasetUri()
      .optional()
      .describe(
        "model-scoring alias table (old_identity_id, identity_id) Parquet; default: clustersFrom's aliases/ when its clusters are used",
      ),
    views: commaList('views')
      .refine((views) => views.every((v) => Object.hasOwn(FEATURE_VIEWS, v)), {
        error: (iss) =>
          `unknown view ${JSON.stringify((iss.input as string[]).find((v) => !Object.hasOwn(FEATURE_VIEWS, v)))}; known: ${VIEW_NAMES.join(', ')}`,
      })
      .default(VIEW_NAMES)
      .describe('comma-separated views'),
    output: datasetUri().describe(
      'offline store prefix; each view under <output>/<view>/ with its own _SUCCESS',
    ),
    mode: z
      .enum(['full', 'incremental'], {
        error: (iss) => `must be full or incremental; got ${JSON.stringify(iss.input)}`,
      })
      .default('full')
      .describe('full, or incremental (write only changed entities)'),
    redisUrl: z
      .string()
      .refine((v) => URL.canParse(v) && /^rediss?:$/.test(new URL(v).protocol), { error: REDIS_URL_FORM })
      .refine((v) => !URL.canParse(v) || (!new URL(v).password && !new URL(v).username), {
        error: 'must not carry credentials (it is stored in run history); set REDIS_URL on the workers',
      })
      .optional()
      .describe("Redis URL without credentials; default the worker's REDIS_URL"),
    shards: shardCount()
      .optional()
      .describe('load shards per view; default one per 2M entities (at most 256)'),
  })
  .transform(({ clusters, clustersFrom, ...rest }) => ({
    ...rest,
    /** model-scoring clusters (record_id, identity_id); omitted: see clustersFrom. */
    clusters: clusters !== undefined && clusters !== 'none' ? clusters : undefined,
    /** Used only when `clusters` is not given: its `clusters/` if the prefix is published. */
    clustersFrom: clusters === undefined ? clustersFrom : undefined,
  }));

export type FeatureSyncParams = z.output<typeof params>;

export default definePipeline({
  name: 'feature-sync',
  description: 'Compute feature views (customer, address) to Parquet and sync them to Redis atomically',
  owner: 'feature-store',
  workflow: featureSync,
  activities: async () => (await import('../activities/feature-sync/index.js')).createFeatureSyncActivities,
  params,
  // Customer features are keyed by the identity model-scoring resolves: it runs after model-scoring.
  inputs: { records: RAW.customerRecords, clustersFrom: pipelineOutput('model-scoring') },
  output: pipelineOutput('feature-sync'),
  alerts: { route: 'default', slaSeconds: 4 * 3600 },
});
