// The workflow of the attempt-logs test pipeline: flaky step (fails once), chatty step, and a
// step that never succeeds when `fail` is set.
import { proxyActivities } from '@temporalio/workflow';
import type { PipelineInput } from '../../../lib/contracts/pipeline-input.js';
import type { AttemptLogActivities } from './definition.js';

const retried = proxyActivities<AttemptLogActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 3 },
});
const twice = proxyActivities<AttemptLogActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '100ms', backoffCoefficient: 1, maximumAttempts: 2 },
});

export async function attemptLogsRun(input: PipelineInput<{ chattyLines: number; fail: boolean }>) {
  await retried.flakyStep();
  await retried.chattyStep(input.params.chattyLines);
  if (input.params.fail) await twice.failingStep();
}
