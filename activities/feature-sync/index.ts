// Activities of feature-sync: thin wrappers of ./steps.ts that resolve the view by name, take the
// Redis URL from the worker's config (a password never enters workflow history), heartbeat, and
// wait out a Redis outage of up to DAYBREAK_REDIS_WAIT_SECONDS before running their step again.
import { Context } from '@temporalio/activity';
import type { Config } from '../../lib/config.js';
import { badInput } from '../../lib/errors.js';
import { joinUri } from '../../lib/storage/index.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { featureView } from '../../lib/features/views/index.js';
import type { FeatureView } from '../../lib/features/types.js';
import type { ActivityDeps } from '../common/deps.js';
import { startHeartbeat } from '../common/heartbeat.js';
import { withRedisRecovery } from './redis.js';
import { computeView, loadShard, planLoad, publishVersion } from './steps.js';
import type { ComputedView, LoadPlan, PublishOutcome, ShardLoad, SyncMode } from './types.js';

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
  /** Runs a Redis step, heartbeating `details` (plus what it waits for during an outage). */
  const redisStep = async <T>(
    url: string,
    details: Record<string, unknown>,
    step: (beat: (more: Record<string, unknown>) => void) => Promise<T>,
  ): Promise<T> => {
    let current = details;
    const hb = startHeartbeat<Record<string, unknown>>(current);
    const beat = (more: Record<string, unknown>) => hb.beat((current = { ...current, ...more }));
    try {
      return await withRedisRecovery(
        {
          url,
          waitMs: config.DAYBREAK_REDIS_WAIT_SECONDS * 1000,
          onWait: (cause) => beat({ waitingForRedis: cause.split('\n')[0], since: new Date().toISOString() }),
          onRecovered: () => beat({ waitingForRedis: undefined, since: undefined }),
          signal: Context.current().cancellationSignal,
        },
        () => step(beat),
      );
    } finally {
      hb.stop();
    }
  };

  return {
    async computeFeatureView(input: {
      view: string;
      records: string;
      clusters?: string;
      clustersFrom?: string;
      aliases?: string;
      output: string;
      runDate: string;
      asOf: string;
    }): Promise<ComputedView> {
      const hb = startHeartbeat({ view: input.view, step: 'computing view' });
      try {
        let { clusters, aliases } = input;
        const from = !clusters && input.clustersFrom ? await readManifest(input.clustersFrom) : undefined;
        if (from) {
          clusters = joinUri(input.clustersFrom!, 'clusters');
          // The alias table beside the clusters (model-scoring publishes one since ids persist).
          if (!aliases && from.files.some((f) => f.name.startsWith('aliases/')))
            aliases = joinUri(input.clustersFrom!, 'aliases');
        }
        return await computeView(config, { ...input, clusters, aliases, view: viewNamed(input.view) });
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
      const redisUrl = redisUrlFor(config, input.redisUrl);
      return redisStep(redisUrl, { view: input.view, step: 'planning' }, () =>
        planLoad({ ...input, view: viewNamed(input.view), redisUrl }),
      );
    },

    async loadFeatureShard(input: {
      view: string;
      plan: LoadPlan;
      files: string[];
      shard: number;
      redisUrl?: string;
    }): Promise<ShardLoad> {
      const redisUrl = redisUrlFor(config, input.redisUrl);
      const details = { view: input.view, version: input.plan.version, shard: input.shard, written: 0 };
      return redisStep(redisUrl, details, (beat) =>
        loadShard(config, { ...input, view: viewNamed(input.view), redisUrl }, (written) =>
          beat({ written }),
        ),
      );
    },

    async publishFeatureVersion(input: {
      view: string;
      plan: LoadPlan;
      computed: ComputedView;
      loads: ShardLoad[];
      redisUrl?: string;
    }): Promise<PublishOutcome> {
      const redisUrl = redisUrlFor(config, input.redisUrl);
      const details = { view: input.view, version: input.plan.version, step: 'publishing' };
      return redisStep(redisUrl, details, (beat) =>
        publishVersion(config, {
          ...input,
          view: viewNamed(input.view),
          redisUrl,
          onProgress: (step) => beat({ step }),
        }),
      );
    },
  };
}

export type FeatureSyncActivities = ReturnType<typeof createFeatureSyncActivities>;
