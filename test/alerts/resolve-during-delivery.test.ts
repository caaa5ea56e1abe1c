// A run that succeeds while one of its alerts is still being delivered (the soak's finding: a
// worker-lost alert claimed, Slack slow or down, the retried run finishing first) must resolve
// that alert. Before, the resolve saw only delivered classes and ended the state; the delivery
// then opened the class in a fresh state, open (and suppressing) for the whole window, never
// resolved. On the suite's dev server, through the real state workflow.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { claimAlert, markAlertDelivered, resolveAlerts, type DedupKey } from '../../alerts/dedup.js';
import { startTestWorker, testConfig, type TestWorker } from '../helpers/temporal.js';

let env: TestWorker;

beforeAll(async () => {
  env = await startTestWorker(testConfig());
});
afterAll(async () => {
  await env?.stop();
});

const keyFor = (scope: string): DedupKey => ({
  taskQueue: env.config.DAYBREAK_TASK_QUEUE,
  scope,
  errorClass: 'WorkerLost',
  windowMs: 24 * 3_600_000,
});

test('a resolve that arrives while the class is being delivered waits for the delivery and resolves it', async () => {
  const key = keyFor('session-ranking/2031-01-02');
  expect(await claimAlert(env.client, key)).toBe(true);

  let resolvedAt = 0;
  const resolving = resolveAlerts(env.client, key.scope).then((classes) => {
    resolvedAt = Date.now();
    return classes;
  });
  await new Promise((r) => setTimeout(r, 1500)); // the channels are still at work
  expect(resolvedAt).toBe(0);
  const deliveredAt = Date.now();
  await markAlertDelivered(env.client, key);

  expect(await resolving).toEqual(['WorkerLost']);
  expect(resolvedAt).toBeGreaterThanOrEqual(deliveredAt);
  // Resolved means closed: the next failure of the class is sent, not suppressed for the window.
  expect(await claimAlert(env.client, key)).toBe(true);
});

test('a resolve with nothing under way answers at once with what was delivered', async () => {
  const key = keyFor('session-ranking/2031-01-03');
  expect(await claimAlert(env.client, key)).toBe(true);
  await markAlertDelivered(env.client, key);
  const t0 = Date.now();
  expect(await resolveAlerts(env.client, key.scope)).toEqual(['WorkerLost']);
  expect(Date.now() - t0).toBeLessThan(5_000);
  expect(await resolveAlerts(env.client, 'session-ranking/2031-01-04')).toEqual([]);
});
