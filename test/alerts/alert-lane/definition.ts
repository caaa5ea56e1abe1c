// A test pipeline whose shards only hold an activity slot for a while (heartbeating, so they end
// as soon as their run is terminated).
import { Context } from '@temporalio/activity';
import { testPipeline } from '../../helpers/fake-pipelines.js';
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

export default testPipeline(
  'hold-slots',
  'holds activity slots (alert-lane test)',
  holdSlots,
  createHoldActivities,
);
