// A pipeline run that fails for good sends an e-mail through a real SMTP server (nodemailer ->
// smtp-server), parsed with mailparser: every field is checked, and the Web UI link opens the run
// on a dev server started WITH its UI.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { closeEmailTransports } from '../../alerts/email.js';
import { startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { startRun } from '../../pipelines/runs.js';
import { webUiRunUrl } from '../../lib/temporal.js';
import { workerIdentity } from '../../workers/worker.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

let server: DevServer;
let smtp: SmtpSink;
let env: TestWorker;

beforeAll(async () => {
  [server, smtp] = await Promise.all([
    startDevServer({
      binary: inject('temporalCli'),
      headless: false,
      logFile: path.join(tempDir('ui-server'), 'log'),
    }),
    startSmtpSink(),
  ]);
  env = await startTestWorker(
    testConfig({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_UI_URL: server.uiUrl!,
      SMTP_URL: smtp.url,
      ALERT_EMAIL_FROM: 'daybreak@alerts.test',
      ALERT_EMAIL_TO: 'oncall@team.test, data@team.test',
    }),
  );
});
afterAll(async () => {
  await env?.stop();
  closeEmailTransports();
  await Promise.all([smtp?.close(), server?.stop()]);
});

test('a failed run e-mails pipeline, date, ids, root cause, attempts, duration, worker, link and runbook', async () => {
  const data = tempDir('email-alert');
  const missing = path.join(data, 'user_activity');
  fs.mkdirSync(missing);
  const handle = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'session-ranking',
    runDate: '2025-03-01',
    rawParams: {
      activity: missing,
      profile: path.join(data, 'user_profile'),
      output: path.join(data, 'out'),
    },
  });
  const failure = await handle.result().catch((e: unknown) => e);
  // The alert never changes the run's own outcome: it still fails with its root cause.
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(String((failure as WorkflowFailedError).cause)).toContain('no user_activity Parquet files found');

  const [received] = await smtp.waitFor(1);
  const { mail, envelopeTo, envelopeFrom } = received!;
  const runId = handle.firstExecutionRunId;
  const link = webUiRunUrl(env.config, 'session-ranking/2025-03-01', runId);

  expect(envelopeFrom).toBe('daybreak@alerts.test');
  expect(envelopeTo.sort()).toEqual(['data@team.test', 'oncall@team.test']);
  expect(mail.subject).toBe('[Daybreak] FAILED session-ranking 2025-03-01: MissingInput');
  const text = mail.text ?? '';
  const html = typeof mail.html === 'string' ? mail.html : '';
  const fields = Object.fromEntries(
    text
      .split('\n')
      .map((line) => /^([A-Z][\w ]+): (.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  expect(fields).toMatchObject({
    Pipeline: 'session-ranking',
    'Logical date': '2025-03-01',
    'Workflow id': 'session-ranking/2025-03-01',
    'Run id': runId,
    'Error class': 'MissingInput',
    'Error message': `no user_activity Parquet files found at ${missing}`,
    Attempts: '1',
    Worker: workerIdentity(env.config),
    'Failed step': 'planSessionRanking',
    'Web UI': link,
  });
  expect(fields.Duration).toMatch(/^\d+(ms|(\.\d)?s)$/);
  expect(text).toContain('Runbook: Missing input partition (alerts/runbooks/inputs.md)');
  expect(text).toMatch(/\n1\. List the partition/);
  // The HTML part says the same, with a clickable link.
  for (const needle of [
    'session-ranking',
    '2025-03-01',
    runId,
    'MissingInput',
    'Missing input partition',
    workerIdentity(env.config),
  ]) {
    expect(html).toContain(needle);
  }
  expect(html).toContain(`<a href="${link}">`);

  // The link opens the Web UI (the SPA answers the run's route) ...
  const page = await fetch(link);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<html/i);
  // ... and the UI's API behind it describes exactly that run.
  const api = await fetch(
    `${server.uiUrl}/api/v1/namespaces/default/workflows/${encodeURIComponent('session-ranking/2025-03-01')}?execution.runId=${runId}`,
  );
  expect(api.status).toBe(200);
  const described = (await api.json()) as {
    workflowExecutionInfo: { execution: { runId: string }; status: string };
  };
  expect(described.workflowExecutionInfo.execution.runId).toBe(runId);
  expect(described.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_FAILED');
});
