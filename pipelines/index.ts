// The catalogue of built-in pipelines: one definition file per pipeline in this folder, listed
// here. Read a definition to know a pipeline: what it reads, what it writes, its parameters, the
// workflow that runs it. `daybreak pipelines list` prints this catalogue.
import featureSync from './feature-sync.js';
import identityJoin from './identity-join.js';
import modelScoring from './model-scoring.js';
import sessionRanking from './session-ranking.js';
import { makeCatalogue, type Catalogue } from './catalogue.js';
import type { PipelineDefinition } from './types.js';

export const BUILT_IN_PIPELINES: readonly PipelineDefinition[] = [
  sessionRanking,
  identityJoin,
  modelScoring,
  featureSync,
] as PipelineDefinition[];

/**
 * The built-ins plus `extra` definitions (pipelines loaded at run time, or a test's own), checked
 * as one catalogue.
 */
export function catalogue(extra: readonly PipelineDefinition[] = []): Catalogue {
  return makeCatalogue([...BUILT_IN_PIPELINES, ...extra]);
}

/** The product's catalogue (built-ins only). */
export const PIPELINES: Catalogue = catalogue();

export * from './catalogue.js';
export * from './types.js';
