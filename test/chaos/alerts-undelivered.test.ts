// Issue 14.4: an alert no channel delivered must not silence the next ones. With SMTP down (no
// server on its port) and Slack answering 500, a failing run's alert is not delivered; once both
// channels are back, the alert still arrives (durable redelivery), exactly once per channel, and
// a later failure of the same cause is not suppressed when the first never got through. The
// delivery-failure series exist at 0 from worker start, so the Prometheus rule can see the rise.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { closeEmailTransports } from '../../alerts/email.js';
import { freePort } from '../../devstack/dev-server.js';
import { registry } from '../../lib/metrics.js';
import { startRun } from '../../pipelines/runs.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

// Slack retries a message 5 times (alerts/slack.ts): 5 answers of 500 fail one delivery.
const FAILED_DELIVERY = Array.from({ length: 5 }, () => ({ status: 500, body: 'internal_error' }));

let slack: SlackReceiver;
const sinks: SmtpSink[] = [];
const workers: TestWorker[] = [];
let data: string;

beforeAll(async () => {
  slack = await startSlackReceiver();
  data = tempDir('alerts-undelivered');
  fs.mkdirSync(path.join(data, 'empty'));
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  closeEmailTransports();
  await Promise.all([slack?.close(), ...sinks.map((s) => s.close())]);
});

async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  const matching = values.filter((v) =>
    Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val),
  );
  return matching.length ? matching.reduce((s, v) => s + v.value, 0) : undefined;
}

/** A worker whose SMTP server is down (nothing listens on its port) and whose Slack hook is `hook`. */
async function workerWithChannelsDown(hook: string, retryFirstSeconds: number) {
  const smtpPort = await freePort();
  const worker = await startTestWorker(
    testConfig({
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ALERT_EMAIL_TO: 'oncall@team.test',
      SLACK_WEBHOOK_URL: slack.url(hook),
      ALERT_RETRY_FIRST_SECONDS: String(retryFirstSeconds),
    }),
  );
  workers.push(worker);
  slack.script(hook, ...FAILED_DELIVERY);
  return { worker, bringSmtpUp: async () => sinks[sinks.push(await startSmtpSink(smtpPort)) - 1]! };
}

async function failingRun(worker: TestWorker, runDate: string): Promise<void> {
  const handle = await startRun({
    client: worker.client,
    config: worker.config,
    pipeline: 'session-ranking',
    runDate,
    rawParams: {
      activity: path.join(data, 'empty'),
      profile: path.join(data, 'empty'),
      output: path.join(data, `out-${runDate}`),
    },
  });
  await expect(handle.result()).rejects.toThrow();
}

const delivered = (hook: string, needle: string) =>
  slack.messages.filter((m) => m.path === hook && m.answered === 200 && m.payload.text.includes(needle));

async function waitFor(what: string, ok: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('an alert no channel delivered is redelivered once both are back, once per channel; a repeat is then suppressed', async () => {
  const hook = '/services/T1/B1/redeliver';
  const { worker, bringSmtpUp } = await workerWithChannelsDown(hook, 2);
  // Every delivery-failure series exists from worker start, at 0.
  expect(await metric('daybreak_alert_delivery_failures_total', { channel: 'email' })).toBeDefined();
  expect(await metric('daybreak_alert_delivery_failures_total', { channel: 'slack' })).toBeDefined();
  const suppressedBefore = (await metric('daybreak_alerts_suppressed_total', { kind: 'failure' })) ?? 0;
  const undeliveredBefore = (await metric('daybreak_alerts_undelivered_total', { kind: 'failure' })) ?? 0;

  await failingRun(worker, '2025-05-01');
  expect(slack.messages.filter((m) => m.path === hook && m.answered === 500)).toHaveLength(5);
  expect(delivered(hook, 'FAILED session-ranking 2025-05-01')).toHaveLength(0);
  expect(await metric('daybreak_alerts_undelivered_total', { kind: 'failure' })).toBe(undeliveredBefore + 1);

  // Slack answers 200 again (its scripted 500s are used up); SMTP comes back.
  const smtp = await bringSmtpUp();
  await waitFor(
    'the redelivered Slack message',
    () => delivered(hook, 'FAILED session-ranking 2025-05-01').length > 0,
  );
  await smtp.waitFor(1, 90_000);
  expect(smtp.messages[0]!.mail.subject).toContain('FAILED session-ranking 2025-05-01');

  // Delivered now: the same failure again is suppressed, and nothing was sent twice.
  await failingRun(worker, '2025-05-01');
  await new Promise((r) => setTimeout(r, 3000)); // a stray redelivery would have run by now
  expect(delivered(hook, 'FAILED session-ranking 2025-05-01')).toHaveLength(1);
  expect(smtp.messages).toHaveLength(1);
  expect(await metric('daybreak_alerts_suppressed_total', { kind: 'failure' })).toBe(suppressedBefore + 1);
});

test('the next failure after the channels recover is delivered, not suppressed by the undelivered first', async () => {
  const hook = '/services/T1/B1/next';
  // Redelivery far off: only the next failure can bring the alert through.
  const { worker, bringSmtpUp } = await workerWithChannelsDown(hook, 3600);
  const suppressedBefore = (await metric('daybreak_alerts_suppressed_total', { kind: 'failure' })) ?? 0;
  await failingRun(worker, '2025-05-02');
  expect(delivered(hook, 'FAILED session-ranking 2025-05-02')).toHaveLength(0);

  const smtp = await bringSmtpUp();
  await failingRun(worker, '2025-05-02');
  expect(delivered(hook, 'FAILED session-ranking 2025-05-02')).toHaveLength(1);
  await smtp.waitFor(1, 30_000);
  expect(smtp.messages[0]!.mail.subject).toContain('FAILED session-ranking 2025-05-02');
  expect(await metric('daybreak_alerts_suppressed_total', { kind: 'failure' })).toBe(suppressedBefore);
});
