// Definitions for catalogue and DAG tests that never run: any workflow, an output parameter, the
// inputs a test wants.
import { z } from 'zod';
import { pipelineOutput, type Dataset } from '../../lib/datasets.js';
import { definePipeline, type PipelineDefinition } from '../../pipelines/types.js';
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
