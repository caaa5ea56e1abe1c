// A sender killed after a channel took its alert but before the delivery was recorded leaves the
// class claimed. Its retry (the same alerting activity, the next attempt) must send again, not be
// suppressed by its own claim: before, the retry was suppressed, the class was never marked
// delivered, and the run's later success resolved nothing (soak finding B: a DAG FAILED on
// e-mail only and never a RESOLVED). Another sender is still held off by the live claim. The retry
// sends only the channels the killed attempt had not delivered (soak finding D: the e-mail went
// out twice). On the suite's dev server, through the real state workflow and raiseAlert, with a
// real SMTP sink and a Slack-like receiver. The same holds for the "resolved" message: a resolver
// killed after one channel took it resends only the others (before, its retry found the state
// ended and sent nothing: one suspect of soak finding E, a RESOLVED on e-mail only).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { closeEmailTransports } from '../../alerts/email.js';
import {
  claimAlert,
  markAlertDelivered,
  markChannelDelivered,
  markResolutionChannelDelivered,
  resolveAlerts,
  resolveAlertsFor,
  type DedupKey,
} from '../../alerts/dedup.js';
import { raiseAlert, resolveScope } from '../../alerts/service.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestWorker, testConfig, type TestWorker } from '../helpers/temporal.js';

let env: TestWorker;
let smtp: SmtpSink;
let slack: SlackReceiver;

beforeAll(async () => {
  env = await startTestWorker(testConfig());
  [smtp, slack] = await Promise.all([startSmtpSink(), startSlackReceiver()]);
});
afterAll(async () => {
  closeEmailTransports();
  await Promise.all([env?.stop(), smtp?.close(), slack?.close()]);
});

const SENDER = 'daily/2031-02-01/run-1/7';

/** What an alert activity passes to raiseAlert / resolveScope, for the given claimant. */
const contextFor = (claimant: string, config = env.config) => ({
  config,
  client: env.client,
  taskQueue: env.config.DAYBREAK_TASK_QUEUE,
  claimant,
});

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
  const ctx = (claimant: string) => contextFor(claimant);
  expect(await claimAlert(env.client, keyFor(scope, SENDER))).toBe(true); // the killed attempt's claim
  expect((await raiseAlert(ctx('someone/else/1'), scope, 'DagBranchFailed', alert)).sent).toBe(false);
  expect((await raiseAlert(ctx(SENDER), scope, 'DagBranchFailed', alert)).sent).toBe(true);
  expect(await resolveAlerts(env.client, scope)).toEqual(['DagBranchFailed']);
});

test('the retry of a sender killed after its e-mail went out sends only Slack; after both, nothing', async () => {
  const config = testConfig({
    SMTP_URL: smtp.url,
    ALERT_EMAIL_TO: 'oncall@team.test',
    SLACK_WEBHOOK_URL: slack.url(),
  });
  const ctx = contextFor(SENDER, config);
  const alertOf = (runDate: string) => ({
    kind: 'failure' as const,
    pipeline: 'daily',
    runDate,
    workflowId: `daily/${runDate}`,
    runId: 'run-1',
    errorClass: 'DagBranchFailed',
    errorMessage: 'identity-join failed',
  });
  const sent = (runDate: string) => ({
    email: smtp.messages.filter((m) => m.mail.subject?.includes(runDate)).length,
    slack: slack.messages.filter((m) => m.payload.text.includes(runDate)).length,
  });

  // Attempt 1 e-mailed (recorded as it happened), then was killed before Slack and the marking.
  const scope = 'daily/2031-02-03';
  expect(await claimAlert(env.client, keyFor(scope, SENDER))).toBe(true);
  await markChannelDelivered(env.client, keyFor(scope, SENDER), 'email');
  const retry = await raiseAlert(ctx, scope, 'DagBranchFailed', alertOf('2031-02-03'));
  expect(retry.sent).toBe(true);
  expect(retry.channels.map((c) => [c.channel, c.ok])).toEqual([['slack', true]]);
  expect(sent('2031-02-03')).toEqual({ email: 0, slack: 1 });
  expect(await resolveAlerts(env.client, scope)).toEqual(['DagBranchFailed']);

  // Killed after both channels took it: the retry sends nothing and records the delivery.
  const both = 'daily/2031-02-04';
  expect(await claimAlert(env.client, keyFor(both, SENDER))).toBe(true);
  await markChannelDelivered(env.client, keyFor(both, SENDER), 'email');
  await markChannelDelivered(env.client, keyFor(both, SENDER), 'slack');
  expect((await raiseAlert(ctx, both, 'DagBranchFailed', alertOf('2031-02-04'))).sent).toBe(true);
  expect(sent('2031-02-04')).toEqual({ email: 0, slack: 0 });
  expect(await claimAlert(env.client, keyFor(both, 'someone/else/1'))).toBe(false);
  expect(await resolveAlerts(env.client, both)).toEqual(['DagBranchFailed']);

  // An ordinary first attempt still sends both, each recorded as it goes.
  const fresh = 'daily/2031-02-05';
  expect((await raiseAlert(ctx, fresh, 'DagBranchFailed', alertOf('2031-02-05'))).sent).toBe(true);
  await smtp.waitFor(1);
  expect(sent('2031-02-05')).toEqual({ email: 1, slack: 1 });
  expect(await resolveAlerts(env.client, fresh)).toEqual(['DagBranchFailed']);
});

test('the retry of a resolver killed after its e-mail sends the RESOLVED on Slack only; nobody else sends it', async () => {
  const config = testConfig({
    SMTP_URL: smtp.url,
    ALERT_EMAIL_TO: 'oncall@team.test',
    SLACK_WEBHOOK_URL: slack.url(),
  });
  const ctx = (claimant: string) => contextFor(claimant, config);
  const resolvedOf = (runDate: string) => ({
    kind: 'resolved' as const,
    pipeline: 'daily',
    runDate,
    workflowId: `daily/${runDate}`,
    runId: 'run-2',
  });
  const sent = (runDate: string) => ({
    email: smtp.messages.filter((m) => m.mail.subject?.includes(runDate)).length,
    slack: slack.messages.filter((m) => m.payload.text.includes(runDate)).length,
  });
  const RESOLVER = 'daily/2031-02-06/run-2/3';

  // An open failure; the success's resolver resolved it, e-mailed (recorded), then was killed.
  const scope = 'daily/2031-02-06';
  expect(await claimAlert(env.client, keyFor(scope, SENDER))).toBe(true);
  await markAlertDelivered(env.client, keyFor(scope, SENDER));
  expect(await resolveAlertsFor(env.client, scope, RESOLVER)).toEqual({
    classes: ['DagBranchFailed'],
    channelsDelivered: [],
  });
  await markResolutionChannelDelivered(env.client, scope, 'email');

  // Another resolver (a second successful run) finds nothing to send: this one has it.
  expect((await resolveScope(ctx('daily/2031-02-06/run-3/3'), scope, resolvedOf('2031-02-06'))).sent).toBe(
    false,
  );
  // The killed resolver's retry gets the same classes and sends only what is missing.
  const retry = await resolveScope(ctx(RESOLVER), scope, resolvedOf('2031-02-06'));
  expect(retry.resolvedClasses).toEqual(['DagBranchFailed']);
  expect(retry.channels.map((c) => [c.channel, c.ok])).toEqual([['slack', true]]);
  expect(sent('2031-02-06')).toEqual({ email: 0, slack: 1 });
  // Delivered: the resolution is over, a later retry sends nothing more.
  expect((await resolveScope(ctx(RESOLVER), scope, resolvedOf('2031-02-06'))).sent).toBe(false);
  expect(sent('2031-02-06')).toEqual({ email: 0, slack: 1 });

  // An ordinary resolve sends both channels once.
  const fresh = 'daily/2031-02-07';
  expect(await claimAlert(env.client, keyFor(fresh, SENDER))).toBe(true);
  await markAlertDelivered(env.client, keyFor(fresh, SENDER));
  const first = await resolveScope(ctx(RESOLVER), fresh, resolvedOf('2031-02-07'));
  expect(first.channels.map((c) => [c.channel, c.ok])).toEqual([
    ['email', true],
    ['slack', true],
  ]);
  await smtp.waitFor(1);
  expect(sent('2031-02-07')).toEqual({ email: 1, slack: 1 });
  expect((await resolveScope(ctx(RESOLVER), fresh, resolvedOf('2031-02-07'))).sent).toBe(false);
});
