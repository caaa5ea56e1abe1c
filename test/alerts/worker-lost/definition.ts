// A test pipeline for the worker-lost check: one step whose first attempt heartbeats once and then
// goes silent (as a killed worker does), so its retry follows a heartbeat timeout and completes at
// once; before it, a step retried after an ordinary failure.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { withWorkerIdentity } from '../../../activities/common/heartbeat.js';
import type { PipelineDefinition } from '../../../pipelines/types.js';
import { testPipeline } from '../../helpers/fake-pipelines.js';
import { workerLostRun } from './workflows.js';

function createWorkerLostActivities() {
  return {
    /** An ordinary retry (no heartbeat timeout): nothing to ask the server about. */
    async failsOnce(): Promise<void> {
      if (Context.current().info.attempt === 1)
        throw ApplicationFailure.retryable('busy, try again', 'FlakyOnce');
    },
    async silentOnce(): Promise<number> {
      const ctx = Context.current();
      if (ctx.info.attempt === 1) {
        ctx.heartbeat(withWorkerIdentity({ step: 'started' }));
        // No more heartbeats: the server times this attempt out and schedules the next one.
        await new Promise((resolve) => setTimeout(resolve, 1.5 * (ctx.info.heartbeatTimeoutMs ?? 0)));
      }
      return ctx.info.attempt;
    },
  };
}
export type WorkerLostActivities = ReturnType<typeof createWorkerLostActivities>;

export function workerLostPipeline(name: string): PipelineDefinition {
  return testPipeline(
    name,
    'a step lost once with its worker (test)',
    workerLostRun,
    createWorkerLostActivities,
  );
}
