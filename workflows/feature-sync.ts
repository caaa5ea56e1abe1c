// feature-sync: per view (in parallel) compute -> plan -> load shards (in parallel, heartbeating)
// -> publish (atomic pointer switch, cleanup). Thin and deterministic: only paths and counts pass.
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type {
  FeatureSyncActivities,
  FeatureSyncResult,
  PublishedView,
} from '../activities/feature-sync/index.js';
import type { FeatureSyncParams } from '../pipelines/feature-sync.js';
import { shardActivity, shortActivity } from './common/activity-options.js';
import type { PipelineInput } from '../lib/contracts/pipeline-input.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';

const quick = proxyActivities<FeatureSyncActivities>(shortActivity);
const heavy = proxyActivities<FeatureSyncActivities>(shardActivity);

/** End of the run date (UTC): the features' as-of time. */
function asOfFor(runDate: string): string {
  return new Date(Date.parse(`${runDate}T00:00:00Z`) + 86_400_000).toISOString();
}

export async function featureSync(input: PipelineInput<FeatureSyncParams>): Promise<FeatureSyncResult> {
  const started = Date.now();
  const { params, runDate } = input;
  const asOf = asOfFor(runDate);
  const progress: RunProgress = { phase: 'computing views', shardsDone: 0, shardsTotal: 0, rows: 0 };
  setHandler(progressQuery, () => progress);

  const views = await Promise.all(
    params.views.map(async (view): Promise<PublishedView> => {
      const computed = await heavy.computeFeatureView({
        view,
        records: params.records,
        clusters: params.clusters,
        clustersFrom: params.clustersFrom,
        output: `${params.output}/${view}`,
        runDate,
        asOf,
      });
      const plan = await quick.planFeatureLoad({
        view,
        computed,
        mode: params.mode,
        asOf,
        shards: params.shards,
        redisUrl: params.redisUrl,
      });
      progress.phase = 'loading Redis';
      progress.shardsTotal += plan.shards;
      const loads = await Promise.all(
        Array.from({ length: plan.shards }, async (_, shard) => {
          const load = await heavy.loadFeatureShard({
            view,
            plan,
            files: computed.files,
            shard,
            redisUrl: params.redisUrl,
          });
          progress.shardsDone += 1;
          progress.rows += load.written;
          return load;
        }),
      );
      return quick.publishFeatureVersion({ view, plan, computed, loads, redisUrl: params.redisUrl });
    }),
  );
  progress.phase = 'done';
  return { views, durationMs: Date.now() - started };
}
