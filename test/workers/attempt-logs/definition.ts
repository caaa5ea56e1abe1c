// A test pipeline for the per-attempt logs: a step that logs a visitor record (an e-mail address
// and an IP) and fails its first attempt, a chatty step that logs for a few seconds (to follow),
// and optionally a step that fails every attempt (the failure alert's link).
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { PipelineDefinition } from '../../../pipelines/types.js';
import { testPipeline } from '../../helpers/fake-pipelines.js';
import { attemptLogsRun } from './workflows.js';

export const VISITOR = { visitor_id: 'v-17', email: 'jane.doe@example.com', ip: '203.0.113.7' };

function createAttemptLogActivities() {
  return {
    async flakyStep(): Promise<string> {
      const ctx = Context.current();
      ctx.log.info('loaded visitor record', { record: VISITOR });
      ctx.log.info(`visitor ${VISITOR.email} from ${VISITOR.ip}, attempt ${ctx.info.attempt}`);
      if (ctx.info.attempt === 1)
        throw ApplicationFailure.retryable(`upstream busy for ${VISITOR.email}, try again`, 'FlakyOnce');
      return 'ok';
    },
    async chattyStep(lines: number): Promise<void> {
      const ctx = Context.current();
      for (let i = 1; i <= lines; i++) {
        ctx.log.info(`chatty line ${i} of ${lines}`);
        await ctx.sleep(250);
      }
    },
    async failingStep(): Promise<never> {
      Context.current().log.warn(`about to fail, attempt ${Context.current().info.attempt}`);
      throw ApplicationFailure.retryable('still broken', 'StillBroken');
    },
  };
}
export type AttemptLogActivities = ReturnType<typeof createAttemptLogActivities>;

export function attemptLogsPipeline(name: string): PipelineDefinition {
  return testPipeline(name, 'logs per attempt (test)', attemptLogsRun, createAttemptLogActivities);
}
