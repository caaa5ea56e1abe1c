// Workflows of the alert-lane test: one that keeps activity slots busy (long "shards" that
// heartbeat, so a terminated run frees them at once), and one that fails for good at once.
import { ApplicationFailure } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';
import type { PipelineInput } from '../../../lib/contracts/pipeline-input.js';
import type { HoldActivities } from './definition.js';

const { holdSlot } = proxyActivities<HoldActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '10s',
  retry: { maximumAttempts: 1 },
});

export async function holdSlots(input: PipelineInput<{ shards: number; seconds: number }>) {
  await Promise.all(Array.from({ length: input.params.shards }, () => holdSlot(input.params.seconds)));
}

export async function failAtOnce(): Promise<never> {
  throw ApplicationFailure.create({ type: 'BadInput', nonRetryable: true, message: 'broken on purpose' });
}
