// The registry of pipelines the CLI, schedules and the daily DAG can start.
import { sessionRanking } from './session-ranking.js';
import { ParamError, type PipelineDefinition } from './types.js';

export * from './types.js';

export const PIPELINES: Record<string, PipelineDefinition> = {
  [sessionRanking.name]: sessionRanking,
};

export function pipelineByName(name: string): PipelineDefinition {
  const def = PIPELINES[name];
  if (!def)
    throw new ParamError(
      `unknown pipeline ${JSON.stringify(name)}; known: ${Object.keys(PIPELINES).join(', ')}`,
    );
  return def;
}
