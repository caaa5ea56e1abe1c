// The worker-lost test pipeline's workflow: one step with a short heartbeat timeout, retried.
import { proxyActivities } from '@temporalio/workflow';
import type { WorkerLostActivities } from './definition.js';

const { silentOnce } = proxyActivities<WorkerLostActivities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: '9s',
  retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 3 },
});

export async function workerLostRun(): Promise<number> {
  return silentOnce();
}
