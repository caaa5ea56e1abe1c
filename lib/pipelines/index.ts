// The registry of pipelines the CLI, schedules and the daily DAG can start.
import { identityJoin } from './identity-join.js';
import { modelScoring } from './model-scoring.js';
import { sessionRanking } from './session-ranking.js';
import { featureSync } from './feature-sync.js';
import type { PipelineDefinition } from './types.js';

export * from './types.js';

export const PIPELINES: Record<string, PipelineDefinition> = {
  [sessionRanking.name]: sessionRanking,
  [identityJoin.name]: identityJoin,
  [featureSync.name]: featureSync,
  [modelScoring.name]: modelScoring,
};

export class UnknownPipelineError extends Error {
  override name = 'UnknownPipelineError';
}

export function pipelineByName(name: string): PipelineDefinition {
  const def = PIPELINES[name];
  if (!def)
    throw new UnknownPipelineError(
      `unknown pipeline ${JSON.stringify(name)}; known: ${Object.keys(PIPELINES).join(', ')}`,
    );
  return def;
}
