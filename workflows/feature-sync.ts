// feature-sync: per view (in parallel) compute -> plan -> load shards (in parallel, heartbeating)
// -> publish (count check, atomic pointer switch, cleanup). When Redis lost part of the version
// before the switch (a restart without persistence), publish says which shards are short and they
// are loaded again. Thin and deterministic: only paths and counts pass.
import { ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type {
  FeatureSyncActivities,
  FeatureSyncResult,
  PublishedView,
  ShardLoad,
} from '../activities/feature-sync/index.js';
import { keptIncompleteMessage, MAX_PUBLISH_ROUNDS } from '../lib/contracts/feature-sync-reloads.js';
import type { FeatureSyncParams } from '../pipelines/feature-sync.js';
import { shardActivity } from './common/activity-options.js';
import type { PipelineInput } from '../lib/contracts/pipeline-input.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';

// Every step heartbeats, the Redis ones also while they wait out a Redis outage (minutes).
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
        aliases: params.aliases,
        output: `${params.output}/${view}`,
        runDate,
        asOf,
      });
      const plan = await heavy.planFeatureLoad({
        view,
        computed,
        mode: params.mode,
        asOf,
        shards: params.shards,
        redisUrl: params.redisUrl,
      });
      progress.phase = 'loading Redis';
      progress.shardsTotal += plan.shards;
      const load = async (shard: number) => {
        const result = await heavy.loadFeatureShard({
          view,
          plan,
          files: computed.files,
          shard,
          redisUrl: params.redisUrl,
        });
        progress.shardsDone += 1;
        progress.rows += result.written;
        return result;
      };
      let loads: ShardLoad[] = await Promise.all(
        Array.from({ length: plan.shards }, (_, shard) => load(shard)),
      );
      for (let round = 1; ; round++) {
        const outcome = await heavy.publishFeatureVersion({
          view,
          plan,
          computed,
          loads,
          redisUrl: params.redisUrl,
        });
        if (!('incomplete' in outcome)) return outcome;
        if (round === MAX_PUBLISH_ROUNDS)
          throw ApplicationFailure.create({
            message: keptIncompleteMessage(view, plan.version, outcome.incomplete),
          });
        const { shards } = outcome.incomplete;
        progress.phase = 'loading Redis again (it lost part of the version)';
        progress.shardsTotal += shards.length;
        const again = await Promise.all(shards.map(load));
        loads = loads.map((l) => again.find((a) => a.shard === l.shard) ?? l);
      }
    }),
  );
  progress.phase = 'done';
  return { views, durationMs: Date.now() - started };
}
