// Every activity the worker registers, built from shared dependencies. One folder per pipeline.
import { registerConfiguredGcs } from '../lib/storage/gcs.js';
import type { ActivityDeps } from './common/deps.js';
import { createIdentityJoinActivities } from './identity-join/index.js';
import { createModelScoringActivities } from './model-scoring/index.js';
import { createSessionRankingActivities } from './session-ranking/index.js';
import { createFeatureSyncActivities } from './feature-sync/index.js';
import { createDailyActivities } from './daily/index.js';
import { createAlertActivities } from './alerts/index.js';
import { createOutputActivities } from './common/output.js';

export function createActivities(deps: ActivityDeps) {
  registerConfiguredGcs(deps.config); // gs:// URIs in any pipeline's parameters
  return {
    ...createSessionRankingActivities(deps),
    ...createIdentityJoinActivities(deps),
    ...createFeatureSyncActivities(deps),
    ...createModelScoringActivities(deps),
    ...createDailyActivities(deps),
    ...createAlertActivities(deps),
    ...createOutputActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
