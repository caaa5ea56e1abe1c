// The activities of Daybreak's own machinery, which every worker registers beside the pipelines'
// own (each pipeline's definition names its activities; workers/worker.ts puts them together).
import { registerConfiguredGcs } from '../lib/storage/gcs.js';
import type { ActivityDeps } from './common/deps.js';
import { createDailyActivities, type PipelineParamsBuilder } from './daily/index.js';
import { createAlertActivities } from './alerts/index.js';
import { createSqlPipelineActivities } from './sql-pipeline/index.js';
import { createOutputActivities } from './common/output.js';

export function createMachineryActivities(deps: ActivityDeps & { buildParams: PipelineParamsBuilder }) {
  registerConfiguredGcs(deps.config); // gs:// URIs in any pipeline's parameters
  return {
    ...createDailyActivities(deps),
    ...createAlertActivities(deps),
    ...createSqlPipelineActivities(deps),
    ...createOutputActivities(deps),
  };
}
