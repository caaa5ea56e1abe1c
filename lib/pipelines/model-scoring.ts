// model-scoring: identity resolution of customer records (DESIGN 3.4): blocking, pair scoring with
// a versioned champion model (and an optional shadow challenger), identities by connected components.
import { curatedOutput, rawDataset } from '../paths.js';
import { VERSION_PATTERN } from '../identity/model.js';
import { checkKnownParams, intParam, ParamError, type PipelineDefinition } from './types.js';

export interface ModelScoringParams {
  /** Customer records (DESIGN 3.0): file, directory, glob or gs:// URI. */
  records: string;
  /** Champion model version, e.g. v2. */
  model: string;
  /** Challenger version scored in shadow (metrics reported, output under shadow/). */
  challenger?: string;
  /** Match threshold for the champion; omitted means the model file's threshold. */
  threshold?: number;
  output: string;
  /** Ground truth (record_id, person_id) for evaluation metrics. */
  labels?: string;
  /** Blocking-key shards; omitted means automatic. */
  shards?: number;
  /** Blocks larger than this are skipped for blocking (counted in the report). */
  maxBlockSize: number;
}

function versionParam(raw: Record<string, string>, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === '') return undefined;
  if (!VERSION_PATTERN.test(v))
    throw new ParamError(`parameter ${key} must be a model version like v1 or v2; got ${JSON.stringify(v)}`);
  return v;
}

export const modelScoring: PipelineDefinition<ModelScoringParams> = {
  name: 'model-scoring',
  workflowType: 'modelScoring',
  description: 'Identity resolution: block, score pairs with a versioned model, link identities',
  params: {
    records: 'customer records Parquet (file, dir, glob or gs:// URI); default <root>/raw/customer_records',
    model: 'champion model version (models/identity/<v>.json); default v2',
    challenger:
      'challenger version scored in shadow; output under <output>/shadow/<v>/, metrics in the result',
    threshold: 'champion match threshold in (0, 1); default the model file threshold',
    output: 'output prefix; default <root>/curated/model-scoring/dt=<date>',
    labels: 'ground truth (record_id, person_id) Parquet, for precision/recall/F1 in the result',
    shards: 'blocking-key shards; default automatic from the input size',
    maxBlockSize: 'blocking keys shared by more records are skipped; default 1000',
  },
  buildParams(raw, { config, runDate }) {
    checkKnownParams(this, raw);
    let threshold: number | undefined;
    if (raw.threshold !== undefined && raw.threshold !== '') {
      threshold = Number(raw.threshold);
      if (!Number.isFinite(threshold) || threshold <= 0 || threshold >= 1)
        throw new ParamError(
          `parameter threshold must be a number between 0 and 1; got ${JSON.stringify(raw.threshold)}`,
        );
    }
    const model = versionParam(raw, 'model') ?? 'v2';
    const challenger = versionParam(raw, 'challenger');
    if (challenger === model) throw new ParamError(`parameter challenger must differ from model (${model})`);
    return {
      records: raw.records ?? rawDataset(config.DAYBREAK_DATA_ROOT, 'customer_records'),
      model,
      challenger,
      threshold,
      output: raw.output ?? curatedOutput(config.DAYBREAK_DATA_ROOT, 'model-scoring', runDate),
      labels: raw.labels || undefined,
      shards: intParam(raw, 'shards'),
      maxBlockSize: intParam(raw, 'maxBlockSize', 1000)!,
    };
  },
};
