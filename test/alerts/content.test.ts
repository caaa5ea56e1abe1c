// Unit checks of what alerts say and where they go: redaction, routes, root cause naming.
import { expect, test } from 'vitest';
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { alertHtml, alertSubject } from '../../alerts/content.js';
import { redact } from '../../lib/redact.js';
import { resolveRoute } from '../../alerts/routes.js';
import { loadConfig } from '../../lib/config.js';
import { rootCauseOf } from '../../lib/contracts/root-cause.js';

test('redaction removes credentials, tokens, webhooks, e-mail addresses and long numbers, keeps dates', () => {
  const out = redact(
    'smtp://alerts:hunter2@mail:587 refused bob@example.com on 2025-01-01; call 415-555-0100; card 4111111111111111; token=abc123; https://hooks.slack.com/services/T/B/X; sa daybreak@proj.iam.gserviceaccount.com',
  );
  expect(out).toBe(
    'smtp://<redacted>@mail:587 refused <email> on 2025-01-01; call <number>; card <number>; token=<redacted>; https://hooks.slack.com/<redacted>; sa daybreak@proj.iam.gserviceaccount.com',
  );
  expect(redact('x'.repeat(5000)).length).toBe(2000);
});

test("redaction removes visitors' IP addresses, keeps the loopback, clock times, casts and versions", () => {
  expect(
    redact(
      'visitor 203.0.113.7 and fe80::1ff:fe23:4567:890a and 2001:0db8:85a3:0000:0000:8a2e:0370:7334 at 05:15:48.123; x::INT; duckdb 1.5.6; connect ECONNREFUSED 127.0.0.1:6379',
    ),
  ).toBe(
    'visitor <ip> and <ip> and <ip> at 05:15:48.123; x::INT; duckdb 1.5.6; connect ECONNREFUSED 127.0.0.1:6379',
  );
});

test('routes: default uses SMTP and SLACK_WEBHOOK_URL; named webhooks; unknown names fall back loudly', () => {
  const config = loadConfig({
    SMTP_URL: 'smtp://127.0.0.1:2525',
    ALERT_EMAIL_TO: 'a@x.test, b@x.test',
    SLACK_WEBHOOK_URL: 'https://hooks.example/default',
    SLACK_WEBHOOK_URLS: 'data-platform=https://hooks.example/dp',
  });
  expect(resolveRoute(config, undefined).route).toEqual({
    name: 'default',
    email: { from: 'daybreak@localhost', to: ['a@x.test', 'b@x.test'] },
    slack: { name: 'default', webhookUrl: 'https://hooks.example/default' },
  });
  expect(resolveRoute(config, 'data-platform').route.slack).toEqual({
    name: 'data-platform',
    webhookUrl: 'https://hooks.example/dp',
  });
  expect(resolveRoute(config, 'slack-only').route.email).toBeUndefined();
  const typo = resolveRoute(config, 'data-platfrom');
  expect(typo.route.name).toBe('default');
  expect(typo.warning).toContain('unknown alert route "data-platfrom"');
  // No SMTP_URL: no e-mail channel at all (rather than a send that cannot work).
  expect(resolveRoute(loadConfig({ ALERT_EMAIL_TO: 'a@x.test' }), undefined).route.email).toBeUndefined();
});

test('a bad SLACK_WEBHOOK_URLS is reported without echoing the secret', () => {
  expect(() => loadConfig({ SLACK_WEBHOOK_URLS: 'nope https://hooks.slack.com/services/SECRET' })).toThrow(
    /SLACK_WEBHOOK_URLS must be name=url.*\(value hidden\)/,
  );
});

test('root cause: the innermost failure names the class (heartbeat timeouts included)', () => {
  const app = ApplicationFailure.create({
    type: 'MissingInput',
    message: 'no files at x',
    nonRetryable: true,
  });
  const wrapped = new ActivityFailure('Activity task failed', 'plan', '1', 'NON_RETRYABLE_FAILURE', 'w', app);
  expect(rootCauseOf(wrapped)).toEqual({ type: 'MissingInput', message: 'no files at x' });
  const hb = new ActivityFailure(
    'Activity task timed out',
    'map',
    '2',
    'MAXIMUM_ATTEMPTS_REACHED',
    'w',
    new TimeoutFailure('Heartbeat timeout', undefined, 'HEARTBEAT'),
  );
  expect(rootCauseOf(hb)).toEqual({ type: 'HeartbeatTimeout', message: 'activity map: Heartbeat timeout' });
});

test('subjects and HTML escape what they show', () => {
  const alert = {
    kind: 'failure' as const,
    pipeline: 'p',
    runDate: '2025-01-01',
    errorClass: 'BadInput',
    errorMessage: '<script>',
  };
  expect(alertSubject(alert)).toBe('[Daybreak] FAILED p 2025-01-01: BadInput');
  expect(alertHtml(alert)).toContain('&lt;script&gt;');
  expect(alertHtml(alert)).not.toContain('<script>');
  expect(alertSubject({ kind: 'no-workers', pipeline: 'q' })).toBe('[Daybreak] NO WORKERS on task queue q');
});
