// Every workflow the worker bundles. One file per pipeline; this file only re-exports.
export { sessionRanking } from './session-ranking.js';
export { identityJoin } from './identity-join.js';
export { featureSync } from './feature-sync.js';
export { modelScoring } from './model-scoring.js';
export { daily } from './daily.js';
export { alertState } from './alert-state.js';
export { alertRedelivery } from './alert-redelivery.js';
export { watchdog } from './watchdog.js';
export { backfill } from './backfill.js';
export { sqlPipeline } from './sql-pipeline.js';
