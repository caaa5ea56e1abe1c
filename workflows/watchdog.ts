// The watchdog: a scheduled workflow (`daybreak watchdog install`) that checks each task queue's
// pollers and alerts when one has had no live worker for longer than its threshold.
import { proxyActivities } from '@temporalio/workflow';
import type { AlertActivities, QueueHealth, WatchdogInput } from '../activities/alerts/types.js';

const { checkTaskQueues } = proxyActivities<AlertActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3 },
});

export async function watchdog(input: WatchdogInput): Promise<QueueHealth[]> {
  return checkTaskQueues(input);
}
