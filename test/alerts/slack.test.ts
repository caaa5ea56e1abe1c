// The Slack sender against a local receiver that answers like Slack: Block Kit within limits,
// 429 Retry-After honoured, 5xx retried, 4xx not retried and Slack's error surfaced, one message
// per second per webhook.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { alertSlackPayload } from '../../alerts/content.js';
import { postToSlack, SlackError } from '../../alerts/slack.js';
import type { Alert } from '../../alerts/types.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.js';

let slack: SlackReceiver;
beforeAll(async () => {
  slack = await startSlackReceiver();
});
afterAll(async () => slack?.close());

const alert: Alert = {
  kind: 'failure',
  pipeline: 'session-ranking',
  runDate: '2025-03-01',
  workflowId: 'session-ranking/2025-03-01',
  runId: 'a1b2c3',
  errorClass: 'BadInput',
  errorMessage: `gs://raw/x.parquet has no column "session_end" ${'x'.repeat(5000)}`,
  attempts: 1,
  durationMs: 65_000,
  workerIdentity: 'daybreak-worker@host:1',
  webUiUrl: 'http://127.0.0.1:8233/namespaces/default/workflows/session-ranking%2F2025-03-01/a1b2c3/history',
  runbook: {
    title: 'Schema drift / missing column',
    file: 'inputs.md',
    steps: ['Inspect the file.', 'Re-run.'],
  },
};

test('Block Kit payload stays within Slack limits and carries the fields', () => {
  const longTitle = { ...alert, pipeline: 'p'.repeat(300) };
  const payload = alertSlackPayload(longTitle);
  const blocks = payload.blocks as { type: string; text: { type: string; text: string } }[];
  expect(blocks[0]!.type).toBe('header');
  expect(blocks[0]!.text.type).toBe('plain_text');
  expect(blocks[0]!.text.text.length).toBeLessThanOrEqual(150);
  for (const b of blocks.slice(1)) {
    expect(b.type).toBe('section');
    expect(b.text.text.length).toBeLessThanOrEqual(3000);
  }
  expect(payload.text.length).toBeLessThanOrEqual(3000);
  const all = blocks.map((b) => b.text.text).join('\n');
  for (const needle of [
    '*Logical date:* 2025-03-01',
    '*Run id:* a1b2c3',
    '*Error class:* BadInput',
    '*Attempts:* 1',
    '*Duration:* 1m 5s',
    'daybreak-worker@host:1',
    '|Open the run in the Temporal Web UI>',
    'Schema drift / missing column',
    '1. Inspect the file.',
    '*Error message:*\n```gs://raw/x.parquet has no column "session_end" xxx',
  ]) {
    expect(all).toContain(needle);
  }
});

test('200 ok: one request with the payload', async () => {
  const before = slack.messages.length;
  const res = await postToSlack({ name: 'ok', url: slack.url('/ok') }, alertSlackPayload(alert));
  expect(res.attempts).toBe(1);
  expect(slack.messages.length - before).toBe(1);
  expect(slack.messages.at(-1)!.payload.blocks[0]!.type).toBe('header');
});

test('429 with Retry-After: waits the given delay, then delivers', async () => {
  slack.script('/limited', { status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } });
  const res = await postToSlack({ name: 'limited', url: slack.url('/limited') }, alertSlackPayload(alert), {
    minIntervalMs: 0,
  });
  const hits = slack.messages.filter((m) => m.path === '/limited');
  expect(res.attempts).toBe(2);
  expect(hits.map((h) => h.answered)).toEqual([429, 200]);
  expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(1950);
});

test('400 invalid_blocks: not retried, Slack error surfaced, URL not leaked', async () => {
  slack.script('/bad', { status: 400, body: 'invalid_blocks' });
  const err = (await postToSlack({ name: 'oncall', url: slack.url('/bad') }, { text: 'x', blocks: [] }).catch(
    (e: unknown) => e,
  )) as SlackError;
  expect(err).toBeInstanceOf(SlackError);
  expect(err.status).toBe(400);
  expect(err.slackError).toBe('invalid_blocks');
  expect(err.attempts).toBe(1);
  expect(err.message).toBe('slack webhook oncall answered 400: invalid_blocks');
  expect(err.message).not.toContain('127.0.0.1');
  expect(slack.messages.filter((m) => m.path === '/bad')).toHaveLength(1);
});

test('5xx is retried with backoff; gives up after maxAttempts', async () => {
  slack.script('/flaky', { status: 503, body: 'service_unavailable' }, { status: 500, body: 'oops' });
  const res = await postToSlack(
    { name: 'flaky', url: slack.url('/flaky') },
    { text: 'x' },
    { backoffMs: 50, minIntervalMs: 0 },
  );
  expect(res.attempts).toBe(3);
  slack.script('/down', ...Array.from({ length: 3 }, () => ({ status: 502, body: 'bad gateway' })));
  await expect(
    postToSlack(
      { name: 'down', url: slack.url('/down') },
      { text: 'x' },
      { backoffMs: 20, minIntervalMs: 0, maxAttempts: 3 },
    ),
  ).rejects.toThrow('slack webhook down answered 502: bad gateway');
});

test('at most one message per second per webhook; other webhooks are not held back', async () => {
  const start = Date.now();
  await Promise.all([
    postToSlack({ name: 'r', url: slack.url('/rate') }, { text: '1' }),
    postToSlack({ name: 'r', url: slack.url('/rate') }, { text: '2' }),
    postToSlack({ name: 'r', url: slack.url('/rate') }, { text: '3' }),
    postToSlack({ name: 'o', url: slack.url('/other') }, { text: 'other' }),
  ]);
  const times = slack.messages.filter((m) => m.path === '/rate').map((m) => m.at);
  expect(times).toHaveLength(3);
  expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
  expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(950);
  const other = slack.messages.find((m) => m.path === '/other')!;
  expect(other.at - start).toBeLessThan(900);
});
