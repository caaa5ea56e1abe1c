// feature-sync: compute feature views to Parquet (offline store), then load them into Redis
// with an atomic switch per view (DESIGN 3.3).
import { curatedOutput, rawDataset } from '../paths.js';
import { FEATURE_VIEWS } from '../features/views/index.js';
import { checkKnownParams, intParam, ParamError, type PipelineDefinition } from './types.js';

export interface FeatureSyncParams {
  /** Customer records (DESIGN 3.0): file, directory, glob or gs:// URI. */
  records: string;
  /** model-scoring clusters (record_id, identity_id); omitted: see clustersFrom. */
  clusters?: string;
  /**
   * When `clusters` is not given: a model-scoring output prefix whose `clusters/` is used if the
   * prefix is published (_SUCCESS); otherwise each record is its own customer.
   */
  clustersFrom?: string;
  views: string[];
  /** Output prefix; each view is published under <output>/<view>/ with a _SUCCESS manifest. */
  output: string;
  mode: 'full' | 'incremental';
  /** Redis URL override without credentials; default: the worker's REDIS_URL. */
  redisUrl?: string;
  /** Load shards per view; default one per 2M entities. */
  shards?: number;
}

export const featureSync: PipelineDefinition<FeatureSyncParams> = {
  name: 'feature-sync',
  workflowType: 'featureSync',
  description: 'Compute feature views (customer, address) to Parquet and sync them to Redis atomically',
  params: {
    records: 'customer records Parquet (file, dir, glob or gs:// URI); default <root>/raw/customer_records',
    clusters:
      "model-scoring clusters (record_id, identity_id), or 'none'; default the date's published model-scoring output, else none (each record is a customer)",
    views: `comma-separated views; default all (${Object.keys(FEATURE_VIEWS).join(', ')})`,
    output: 'offline store prefix; default <root>/curated/feature-sync/dt=<date>',
    mode: 'full or incremental (write only changed entities); default full',
    redisUrl: "Redis URL without credentials; default the worker's REDIS_URL",
    shards: 'load shards per view; default one per 2M entities',
  },
  buildParams(raw, { config, runDate }) {
    checkKnownParams(this, raw);
    const views = raw.views ? raw.views.split(',').map((v) => v.trim()) : Object.keys(FEATURE_VIEWS);
    for (const v of views) {
      if (!Object.hasOwn(FEATURE_VIEWS, v))
        throw new ParamError(
          `parameter views: unknown view ${JSON.stringify(v)}; known: ${Object.keys(FEATURE_VIEWS).join(', ')}`,
        );
    }
    const mode = raw.mode ?? 'full';
    if (mode !== 'full' && mode !== 'incremental')
      throw new ParamError(`parameter mode must be full or incremental; got ${JSON.stringify(mode)}`);
    if (raw.redisUrl !== undefined) {
      let url: URL;
      try {
        url = new URL(raw.redisUrl);
      } catch {
        throw new ParamError('parameter redisUrl must be a redis://host:port URL');
      }
      if (!/^rediss?:$/.test(url.protocol))
        throw new ParamError('parameter redisUrl must be a redis://host:port URL');
      if (url.password || url.username)
        throw new ParamError(
          'parameter redisUrl must not carry credentials (it is stored in run history); set REDIS_URL on the workers',
        );
    }
    return {
      records: raw.records ?? rawDataset(config.DAYBREAK_DATA_ROOT, 'customer_records'),
      clusters: raw.clusters && raw.clusters !== 'none' ? raw.clusters : undefined,
      clustersFrom:
        raw.clusters === undefined || raw.clusters === ''
          ? curatedOutput(config.DAYBREAK_DATA_ROOT, 'model-scoring', runDate)
          : undefined,
      views,
      output: raw.output ?? curatedOutput(config.DAYBREAK_DATA_ROOT, 'feature-sync', runDate),
      mode,
      redisUrl: raw.redisUrl,
      shards: intParam(raw, 'shards'),
    };
  },
};
