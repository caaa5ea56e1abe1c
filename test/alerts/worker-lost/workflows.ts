// The worker-lost test pipeline's workflow: a step retried after a plain failure, then one with a
// short heartbeat timeout whose first attempt goes silent.
import { proxyActivities } from '@temporalio/workflow';
import type { WorkerLostActivities } from './definition.js';

const { silentOnce } = proxyActivities<WorkerLostActivities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: '9s',
  retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 3 },
});

const { failsOnce } = proxyActivities<WorkerLostActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 3 },
});

export async function workerLostRun(): Promise<number> {
  await failsOnce();
  return silentOnce();
}
