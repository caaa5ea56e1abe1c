// Activities of feature-sync: thin wrappers of ./steps.ts that resolve the view by name, take the
// Redis URL from the worker's config (a password never enters workflow history) and heartbeat.
import type { Config } from '../../lib/config.js';
import { badInput } from '../../lib/errors.js';
import { joinUri } from '../../lib/storage/index.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { featureView } from '../../lib/features/views/index.js';
import type { FeatureView } from '../../lib/features/types.js';
import type { ActivityDeps } from '../common/deps.js';
import { startHeartbeat } from '../common/heartbeat.js';
import { computeView, loadShard, planLoad, publishVersion } from './steps.js';
import type { ComputedView, LoadPlan, PublishedView, ShardLoad, SyncMode } from './types.js';

export * from './types.js';

function viewNamed(name: string): FeatureView {
  const view = featureView(name);
  if (!view) throw badInput(`unknown feature view ${JSON.stringify(name)}`);
  return view;
}

function redisUrlFor(config: Config, override?: string): string {
  return override ?? config.REDIS_URL;
}

export function createFeatureSyncActivities({ config }: ActivityDeps) {
  return {
    async computeFeatureView(input: {
      view: string;
      records: string;
      clusters?: string;
      clustersFrom?: string;
      output: string;
      runDate: string;
      asOf: string;
    }): Promise<ComputedView> {
      const hb = startHeartbeat({ view: input.view, step: 'computing view' });
      try {
        let clusters = input.clusters;
        if (!clusters && input.clustersFrom && (await readManifest(input.clustersFrom)))
          clusters = joinUri(input.clustersFrom, 'clusters');
        return await computeView(config, { ...input, clusters, view: viewNamed(input.view) });
      } finally {
        hb.stop();
      }
    },

    async planFeatureLoad(input: {
      view: string;
      computed: ComputedView;
      mode: SyncMode;
      asOf: string;
      shards?: number;
      redisUrl?: string;
    }): Promise<LoadPlan> {
      return planLoad({
        ...input,
        view: viewNamed(input.view),
        redisUrl: redisUrlFor(config, input.redisUrl),
      });
    },

    async loadFeatureShard(input: {
      view: string;
      plan: LoadPlan;
      files: string[];
      shard: number;
      redisUrl?: string;
    }): Promise<ShardLoad> {
      const hb = startHeartbeat({
        view: input.view,
        version: input.plan.version,
        shard: input.shard,
        written: 0,
      });
      try {
        return await loadShard(
          config,
          { ...input, view: viewNamed(input.view), redisUrl: redisUrlFor(config, input.redisUrl) },
          (written) =>
            hb.beat({ view: input.view, version: input.plan.version, shard: input.shard, written }),
        );
      } finally {
        hb.stop();
      }
    },

    async publishFeatureVersion(input: {
      view: string;
      plan: LoadPlan;
      computed: ComputedView;
      loads: ShardLoad[];
      redisUrl?: string;
    }): Promise<PublishedView> {
      return publishVersion({
        ...input,
        view: viewNamed(input.view),
        redisUrl: redisUrlFor(config, input.redisUrl),
      });
    },
  };
}

export type FeatureSyncActivities = ReturnType<typeof createFeatureSyncActivities>;
