// model-scoring: identity resolution of customer records (DESIGN 3.4): blocking, pair scoring with
// a versioned champion model (and an optional shadow challenger), identities by the model's linkage.
import { z } from 'zod';
import { pipelineOutput, RAW } from '../lib/datasets.js';
import { VERSION_PATTERN } from '../lib/identity/model.js';
import { modelScoring } from '../workflows/model-scoring.js';
import { datasetUri, positiveInt, shardCount } from './params.js';
import { definePipeline } from './types.js';

const version = () =>
  z.string().regex(VERSION_PATTERN, {
    error: (iss) => `must be a model version like v1 or v2; got ${JSON.stringify(iss.input)}`,
  });

/**
 * The champion when none is named: v5 chooses its blocking rules on each run's records, so it
 * holds up on data unlike the generator's (v2, fitted there with labels, is best on data like it).
 */
export const DEFAULT_MODEL = 'v5';

const params = z
  .object({
    records: datasetUri().describe('customer records Parquet (file, dir, glob or gs:// URI)'),
    model: version().default(DEFAULT_MODEL).describe('champion model version (models/identity/<v>.json)'),
    challenger: version()
      .optional()
      .describe(
        'challenger version scored in shadow; output under <output>/shadow/<v>/, metrics in the result',
      ),
    threshold: z
      .string()
      .transform(Number)
      .refine((t) => Number.isFinite(t) && t > 0 && t < 1, {
        error: (iss) => `must be a number between 0 and 1; got ${JSON.stringify(String(iss.input))}`,
      })
      .optional()
      .describe('champion match threshold in (0, 1); default the model file threshold'),
    output: datasetUri().describe('output prefix'),
    labels: datasetUri()
      .optional()
      .describe('ground truth (record_id, person_id) Parquet, for precision/recall/F1 in the result'),
    shards: shardCount()
      .optional()
      .describe('blocking-key shards; default one per 64 MB of input, at most 64'),
    maxBlockSize: positiveInt().default(1000).describe('blocking keys shared by more records are skipped'),
  })
  .refine((p) => p.challenger === undefined || p.challenger !== p.model, {
    path: ['challenger'],
    error: (iss) => `must differ from model (${(iss.input as { model: string }).model})`,
  });

export type ModelScoringParams = z.output<typeof params>;

export default definePipeline({
  name: 'model-scoring',
  description: 'Identity resolution: block, score pairs with a versioned model, link identities',
  owner: 'identity',
  workflow: modelScoring,
  activities: async () => (await import('../activities/model-scoring/index.js')).createModelScoringActivities,
  params,
  inputs: { records: RAW.customerRecords },
  output: pipelineOutput('model-scoring'),
  alerts: { route: 'default', slaSeconds: 4 * 3600 },
});
