// Definitions for catalogue and DAG tests that never run: any workflow, an output parameter, the
// inputs a test wants. And testPipeline: a test's own workflow and activities as a pipeline the
// worker registers.
import { z } from 'zod';
import { pipelineOutput, type Dataset } from '../../lib/datasets.js';
import { definePipeline, type ActivitiesFactory, type PipelineDefinition } from '../../pipelines/types.js';
import { sessionRanking } from '../../workflows/session-ranking.js';

export function fakePipeline(name: string, inputs: Record<string, Dataset> = {}): PipelineDefinition {
  const shape = Object.fromEntries([...Object.keys(inputs), 'output'].map((k) => [k, z.string()]));
  return definePipeline({
    name,
    description: `test pipeline ${name}`,
    owner: 'test',
    workflow: sessionRanking as PipelineDefinition['workflow'],
    activities: async () => () => ({}),
    params: z.object(shape),
    inputs,
    output: pipelineOutput(name),
    alerts: { route: 'default' },
  }) as PipelineDefinition;
}

/**
 * A pipeline of a test's own workflow and activities, for a worker to register (its runs are
 * started with typed params directly, so the schema only names the output).
 */
export function testPipeline(
  name: string,
  description: string,
  workflow: (...args: never[]) => Promise<unknown>,
  activities: ActivitiesFactory,
): PipelineDefinition {
  return definePipeline({
    name,
    description,
    owner: 'test',
    workflow: workflow as PipelineDefinition['workflow'],
    activities: async () => activities,
    params: z.object({ output: z.string() }),
    inputs: {},
    output: pipelineOutput(name),
    alerts: { route: 'default' },
  }) as PipelineDefinition;
}
