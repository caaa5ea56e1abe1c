// A test pipeline whose shards only hold an activity slot for a while (heartbeating, so they end
// as soon as their run is terminated).
import { Context } from '@temporalio/activity';
import { z } from 'zod';
import { pipelineOutput } from '../../../lib/datasets.js';
import { definePipeline, type PipelineDefinition } from '../../../pipelines/types.js';
import { holdSlots } from './workflows.js';

function createHoldActivities() {
  return {
    async holdSlot(seconds: number): Promise<void> {
      const ctx = Context.current();
      for (let i = 0; i < seconds; i++) {
        ctx.heartbeat(i);
        await ctx.sleep(1000); // rejects once the run is cancelled or terminated
      }
    },
  };
}
export type HoldActivities = ReturnType<typeof createHoldActivities>;

export default definePipeline({
  name: 'hold-slots',
  description: 'holds activity slots (alert-lane test)',
  owner: 'test',
  workflow: holdSlots as PipelineDefinition['workflow'],
  activities: async () => createHoldActivities,
  params: z.object({ output: z.string() }), // runs here are started with typed params directly
  inputs: {},
  output: pipelineOutput('hold-slots'),
  alerts: { route: 'default' },
}) as PipelineDefinition;
