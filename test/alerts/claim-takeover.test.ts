// A sender killed after a channel took its alert but before the delivery was recorded leaves the
// class claimed. Its retry (the same alerting activity, the next attempt) must send again, not be
// suppressed by its own claim: before, the retry was suppressed, the class was never marked
// delivered, and the run's later success resolved nothing (soak finding B: a DAG FAILED on
// e-mail only and never a RESOLVED). Another sender is still held off by the live claim. On the
// suite's dev server, through the real state workflow and raiseAlert.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { claimAlert, markAlertDelivered, resolveAlerts, type DedupKey } from '../../alerts/dedup.js';
import { raiseAlert } from '../../alerts/service.js';
import { startTestWorker, testConfig, type TestWorker } from '../helpers/temporal.js';

let env: TestWorker;

beforeAll(async () => {
  env = await startTestWorker(testConfig());
});
afterAll(async () => {
  await env?.stop();
});

const SENDER = 'daily/2031-02-01/run-1/7';

const keyFor = (scope: string, claimant?: string): DedupKey => ({
  taskQueue: env.config.DAYBREAK_TASK_QUEUE,
  scope,
  errorClass: 'DagBranchFailed',
  windowMs: 24 * 3_600_000,
  claimant,
});

test('the retry of a sender that died mid-delivery takes its claim over; anyone else is held off', async () => {
  const scope = 'daily/2031-02-01';
  expect(await claimAlert(env.client, keyFor(scope, SENDER))).toBe(true); // attempt 1, then killed
  expect(await claimAlert(env.client, keyFor(scope, 'another/run/3'))).toBe(false);
  expect(await claimAlert(env.client, keyFor(scope))).toBe(false);
  expect(await claimAlert(env.client, keyFor(scope, SENDER))).toBe(true); // attempt 2 sends again
  await markAlertDelivered(env.client, keyFor(scope, SENDER));
  // Delivered: suppressed for the window, for its own sender too; and the success resolves it.
  expect(await claimAlert(env.client, keyFor(scope, SENDER))).toBe(false);
  expect(await resolveAlerts(env.client, scope)).toEqual(['DagBranchFailed']);
});

test('raiseAlert: a retried attempt of the claiming sender sends; a different sender is suppressed', async () => {
  const scope = 'daily/2031-02-02';
  const alert = {
    kind: 'failure' as const,
    pipeline: 'daily',
    runDate: '2031-02-02',
    workflowId: 'daily/2031-02-02',
    runId: 'run-1',
    errorClass: 'DagBranchFailed',
    errorMessage: 'identity-join failed',
  };
  const ctx = (claimant: string) => ({
    config: env.config,
    client: env.client,
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    claimant,
  });
  expect(await claimAlert(env.client, keyFor(scope, SENDER))).toBe(true); // the killed attempt's claim
  expect((await raiseAlert(ctx('someone/else/1'), scope, 'DagBranchFailed', alert)).sent).toBe(false);
  expect((await raiseAlert(ctx(SENDER), scope, 'DagBranchFailed', alert)).sent).toBe(true);
  expect(await resolveAlerts(env.client, scope)).toEqual(['DagBranchFailed']);
});
