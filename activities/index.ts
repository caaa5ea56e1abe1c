// Every activity the worker registers, built from shared dependencies. One folder per pipeline.
import type { ActivityDeps } from './common/deps.js';
import { createSessionRankingActivities } from './session-ranking/index.js';
import { createFeatureSyncActivities } from './feature-sync/index.js';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSessionRankingActivities(deps),
    ...createFeatureSyncActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
