// Dedup and resolve through the durable alert state: the same pipeline failing 3 times for the
// same date and cause sends one alert; a later success sends one "resolved"; a failing channel
// is counted and changes nothing else; an SLA miss alerts without stopping the run.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { closeEmailTransports } from '../../alerts/email.js';
import { registry } from '../../lib/metrics.js';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import { runSearchAttributes } from '../../lib/contracts/search-attributes.js';
import { startRun } from '../../pipelines/runs.js';
import { PIPELINES } from '../../pipelines/index.js';
import { buildParams } from '../../pipelines/params.js';
import { createWorker } from '../../workers/worker.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

let slack: SlackReceiver;
let smtp: SmtpSink;
let env: TestWorker;
let data: string;
const HOOK = '/services/T1/B1/dedup';

beforeAll(async () => {
  [slack, smtp] = await Promise.all([startSlackReceiver(), startSmtpSink()]);
  env = await startTestWorker(
    testConfig({
      SMTP_URL: smtp.url,
      ALERT_EMAIL_TO: 'oncall@team.test',
      SLACK_WEBHOOK_URL: slack.url(HOOK),
    }),
  );
  data = tempDir('dedup');
  await generateSessionRanking({
    rows: 5_000,
    users: 500,
    seed: 3,
    out: path.join(data, 'good'),
    year: 2024,
  });
  fs.mkdirSync(path.join(data, 'empty'));
});
afterAll(async () => {
  await env?.stop();
  closeEmailTransports();
  await Promise.all([slack?.close(), smtp?.close()]);
});

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return m
    .filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
    .reduce((s, v) => s + v.value, 0);
}

function params(kind: 'good' | 'empty', out: string) {
  const root = path.join(data, kind);
  return {
    activity: kind === 'good' ? path.join(root, 'user_activity') : root,
    profile: path.join(data, 'good', 'user_profile'),
    output: path.join(data, out),
  };
}

async function runOnce(runDate: string, kind: 'good' | 'empty'): Promise<'ok' | string> {
  const handle = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'session-ranking',
    runDate,
    rawParams: params(kind, `out-${runDate}`),
  });
  try {
    await handle.result();
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowFailedError);
    return String((err as WorkflowFailedError).cause); // the run fails with its root cause (root-cause interceptor)
  }
}

const slackFor = (needle: string) => slack.messages.filter((m) => m.payload.text.includes(needle));
const mailFor = (needle: string) => smtp.messages.filter((m) => (m.mail.subject ?? '').includes(needle));

test('3 failures for the same date and cause send one alert; a success then sends one resolved', async () => {
  const suppressedBefore = await metric('daybreak_alerts_suppressed_total', { kind: 'failure' });
  for (let i = 0; i < 3; i++) {
    expect(await runOnce('2025-04-01', 'empty')).toContain('no user_activity Parquet files found');
  }
  // Each failing run awaited its alert activity before failing: nothing is still in flight.
  expect(slackFor('FAILED session-ranking 2025-04-01')).toHaveLength(1);
  expect(mailFor('FAILED session-ranking 2025-04-01')).toHaveLength(1);
  expect((await metric('daybreak_alerts_suppressed_total', { kind: 'failure' })) - suppressedBefore).toBe(2);
  expect(
    await metric('daybreak_runs_failed_total', { pipeline: 'session-ranking', error_class: 'MissingInput' }),
  ).toBeGreaterThanOrEqual(3);

  expect(await runOnce('2025-04-01', 'good')).toBe('ok');
  const resolved = slackFor('RESOLVED session-ranking 2025-04-01');
  expect(resolved).toHaveLength(1);
  expect(resolved[0]!.payload.text).toContain('Resolves: MissingInput');
  expect(mailFor('RESOLVED session-ranking 2025-04-01')).toHaveLength(1);

  // Another success has nothing open to resolve: no message.
  expect(await runOnce('2025-04-01', 'good')).toBe('ok');
  expect(slackFor('RESOLVED session-ranking 2025-04-01')).toHaveLength(1);
  // After the resolve, a new failure of that date alerts again.
  expect(await runOnce('2025-04-01', 'empty')).toContain('no user_activity');
  expect(slackFor('FAILED session-ranking 2025-04-01')).toHaveLength(2);
});

test('a failing channel is counted and logged; the other channel and the run outcome are unaffected', async () => {
  const before = await metric('daybreak_alert_delivery_failures_total', { channel: 'slack' });
  slack.script(HOOK, { status: 400, body: 'invalid_blocks' });
  expect(await runOnce('2025-04-02', 'empty')).toContain('no user_activity Parquet files found');
  expect(slack.messages.filter((m) => m.answered === 400)).toHaveLength(1);
  expect(mailFor('FAILED session-ranking 2025-04-02')).toHaveLength(1);
  expect((await metric('daybreak_alert_delivery_failures_total', { channel: 'slack' })) - before).toBe(1);
});

test('an SLA that passes while the run is going alerts once (on its route) and the run still succeeds', async () => {
  const queue = `${env.config.DAYBREAK_TASK_QUEUE}-sla`;
  const def = PIPELINES.get('session-ranking');
  const start = (runDate: string, slaSeconds: number) =>
    env.client.workflow.start(def.workflow.name, {
      taskQueue: queue,
      workflowId: runWorkflowId('session-ranking', runDate),
      args: [
        {
          runDate,
          params: buildParams(def, params('good', `sla-${runDate}`), { config: env.config, runDate }),
        },
      ],
      typedSearchAttributes: runSearchAttributes('session-ranking', runDate),
      memo: { slaSeconds, alertRoute: 'slack-only' },
    });
  const late = await start('2025-04-03', 1);
  const onTime = await start('2025-04-04', 3600);
  // No worker polls the queue yet: the late run is already past its 1 s SLA when one arrives.
  await new Promise((r) => setTimeout(r, 2500));
  const worker = await createWorker({ config: env.config, taskQueue: queue });
  const running = worker.run();
  try {
    await Promise.all([late.result(), onTime.result()]);
  } finally {
    worker.shutdown();
    await running;
  }
  const sla = slackFor('SLA MISSED session-ranking');
  expect(sla, slack.messages.map((m) => m.payload.text.split('\n')[0]).join(' | ')).toHaveLength(1);
  expect(sla[0]!.payload.text).toContain('Logical date: 2025-04-03');
  expect(sla[0]!.payload.text).toMatch(/SLA: 1s after \d{4}-\d\d-\d\dT/);
  expect(sla[0]!.payload.text).toContain('Runbook: SLA missed');
  // Route slack-only: no e-mail for it.
  expect(mailFor('SLA MISSED')).toHaveLength(0);
  expect(await metric('daybreak_sla_missed_total', { pipeline: 'session-ranking' })).toBe(1);
});

const SLA_SECONDS = 5;

test('schedules: the SLA counts from the scheduled time; a backfilled run (started after its deadline) raises none', async () => {
  const queue = `${env.config.DAYBREAK_TASK_QUEUE}-sched`;
  const def = PIPELINES.get('session-ranking');
  const schedule = (id: string, runDate: string) =>
    env.client.schedule.create({
      scheduleId: `${queue}-${id}`,
      spec: { cronExpressions: ['0 0 * * *'] },
      action: {
        type: 'startWorkflow',
        workflowType: def.workflow.name,
        taskQueue: queue,
        workflowId: runWorkflowId('session-ranking', runDate),
        args: [
          {
            runDate,
            params: buildParams(def, params('good', `sched-${runDate}`), { config: env.config, runDate }),
          },
        ],
        typedSearchAttributes: runSearchAttributes('session-ranking', runDate),
        // Longer than the server may take from a schedule's nominal time to the run's start when
        // loaded (a 1 s SLA made the triggered run count as started late: no alert, a flake).
        memo: { slaSeconds: SLA_SECONDS, alertRoute: 'slack-only' },
      },
    });
  const triggered = await schedule('now', '2025-04-05');
  const backfilled = await schedule('old', '2025-04-06');
  try {
    const triggeredAt = Date.now();
    await triggered.trigger();
    const midnight = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z').getTime() - 86_400_000;
    await backfilled.backfill({ start: new Date(midnight - 60_000), end: new Date(midnight + 60_000) });
    // Both runs exist before any worker polls; the triggered one is then past its SLA.
    const runsOf = async (sched: typeof triggered) => (await sched.describe()).info.recentActions.length;
    for (let i = 0; i < 50 && ((await runsOf(triggered)) < 1 || (await runsOf(backfilled)) < 1); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, triggeredAt + (SLA_SECONDS + 1) * 1000 - Date.now())));
    const worker = await createWorker({ config: env.config, taskQueue: queue });
    const running = worker.run();
    try {
      for (const sched of [triggered, backfilled]) {
        const action = (await sched.describe()).info.recentActions[0]!;
        await env.client.workflow.getHandle(action.action.workflow.workflowId).result();
      }
    } finally {
      worker.shutdown();
      await running;
    }
  } finally {
    await Promise.all([triggered.delete(), backfilled.delete()]);
  }
  const texts = slackFor('SLA MISSED session-ranking').map((m) => m.payload.text);
  expect(texts.filter((t) => t.includes('2025-04-05'))).toHaveLength(1);
  expect(texts.filter((t) => t.includes('2025-04-06'))).toHaveLength(0);
});
