// Every workflow the worker bundles. One file per pipeline; this file only re-exports.
export { sessionRanking } from './session-ranking.js';
export { featureSync } from './feature-sync.js';
