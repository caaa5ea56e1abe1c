// The "worker lost" check of a retried attempt, when the server is slow or briefly away: the
// retry asks why the attempt before it ended before it runs (bounded), retrying a failed ask, so
// a retry that completes at once, or a describe that fails during a Temporal restart, still
// raises WORKER LOST. The faults sit in the worker's own client (its SDK interceptor), so task
// polls and the alert's delivery are untouched.
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ServiceError, type WorkflowClientInterceptor } from '@temporalio/client';
import { catalogue } from '../../pipelines/index.js';
import { startAlertingWorker, type AlertingWorker } from '../helpers/alerting-worker.js';
import { waitFor } from '../helpers/wait.js';
import { workerLostPipeline } from './worker-lost/definition.js';

const pipeline = `worker-lost-${randomUUID().slice(0, 6)}`;
const SLOW_DATE = '2021-05-01';
const FAILING_DATE = '2021-05-02';
const describes = new Map<string, number>();

/**
 * SLOW_DATE's describes answer after 1.5 s; FAILING_DATE's first two fail as UNAVAILABLE, and its
 * alert state's updates (the claim) take 1 s: a claim left to the background would land after
 * the run's success had found nothing to resolve.
 */
const faults: WorkflowClientInterceptor = {
  async describe(input, next) {
    const n = (describes.get(input.workflowExecution.workflowId) ?? 0) + 1;
    describes.set(input.workflowExecution.workflowId, n);
    if (input.workflowExecution.workflowId.endsWith(SLOW_DATE))
      await new Promise((resolve) => setTimeout(resolve, 1_500));
    if (input.workflowExecution.workflowId.endsWith(FAILING_DATE) && n <= 2)
      throw new ServiceError('14 UNAVAILABLE: the server is restarting (injected)');
    return next(input);
  },
  async startUpdate(input, next) {
    if (input.workflowExecution.workflowId.endsWith(FAILING_DATE))
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    return next(input);
  },
};

let env: AlertingWorker;
beforeAll(async () => {
  env = await startAlertingWorker(
    {},
    {
      catalogue: catalogue([workerLostPipeline(pipeline)]),
      extraWorkflowModules: [fileURLToPath(new URL('./worker-lost/workflows.ts', import.meta.url))],
      clientInterceptors: { workflow: [faults] },
    },
  );
});
afterAll(async () => {
  await env?.stop();
});

test('a retry after a heartbeat timeout raises WORKER LOST, then RESOLVED, though its describe is slow or fails twice', async () => {
  const handles = await Promise.all(
    [SLOW_DATE, FAILING_DATE].map((date) =>
      env.client.workflow.start('workerLostRun', {
        taskQueue: env.config.DAYBREAK_TASK_QUEUE,
        workflowId: `${pipeline}/${date}`,
        args: [],
      }),
    ),
  );
  // Each run's step completed on its second attempt, right away.
  expect(await Promise.all(handles.map((h) => h.result()))).toEqual([2, 2]);
  for (const date of [SLOW_DATE, FAILING_DATE]) {
    const mail = await waitFor(
      `WORKER LOST for ${date}`,
      () =>
        env.smtp.messages.find(
          (m) => m.mail.subject?.includes(`WORKER LOST`) && m.mail.subject.includes(date),
        ),
      30_000,
    );
    expect(mail.mail.subject).toContain(`(${pipeline} ${date})`);
    expect(mail.mail.text).toContain('Activity: silentOnce');
    // Claimed before the retried attempt ran, so the run's success (right after) resolved it.
    await waitFor(
      `RESOLVED for ${date}`,
      () =>
        env.smtp.messages.find((m) => m.mail.subject?.includes('RESOLVED') && m.mail.subject.includes(date)),
      30_000,
    );
  }
  // Three asks for silentOnce's retry (two failed); none for failsOnce's (no heartbeat timeout).
  expect(describes.get(`${pipeline}/${FAILING_DATE}`)).toBe(3);
});
