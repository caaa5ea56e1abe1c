// A test pipeline for the worker-lost check: one step whose first attempt heartbeats once and then
// goes silent (as a killed worker does), so its retry follows a heartbeat timeout and completes at
// once; before it, a step retried after an ordinary failure.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { withWorkerIdentity } from '../../../activities/common/heartbeat.js';
import { pipelineOutput } from '../../../lib/datasets.js';
import { definePipeline, type PipelineDefinition } from '../../../pipelines/types.js';
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
  return definePipeline({
    name,
    description: 'a step lost once with its worker (test)',
    owner: 'test',
    workflow: workerLostRun as PipelineDefinition['workflow'],
    activities: async () => createWorkerLostActivities,
    params: z.object({ output: z.string() }), // runs here are started with typed params directly
    inputs: {},
    output: pipelineOutput(name),
    alerts: { route: 'default' },
  }) as PipelineDefinition;
}
