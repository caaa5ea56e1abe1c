// Issue 14.9: a worker that sent an alert exits promptly after "worker stopped" (it used to take
// ~30 s, once over 60 s: the pooled SMTP connection stayed open until its socket timeout). A real
// worker process e-mails a failure alert, gets SIGTERM, and must be gone within a few seconds of
// saying it stopped.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startRun } from '../../pipelines/runs.js';
import { connectClient } from '../../lib/temporal.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { tempDir, testConfig } from '../helpers/temporal.js';
import { startWorkerProcess } from '../helpers/worker-process.js';

let smtp: SmtpSink;
beforeAll(async () => {
  smtp = await startSmtpSink();
});
afterAll(async () => smtp?.close());

test('a worker that e-mailed an alert exits within seconds of "worker stopped"', async () => {
  const config = testConfig({ SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'oncall@team.test' });
  const empty = tempDir('exit-after-alert');
  fs.mkdirSync(path.join(empty, 'none'));
  const worker = await startWorkerProcess('daybreak-worker-exit', {
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    DAYBREAK_TASK_QUEUE: config.DAYBREAK_TASK_QUEUE,
    DAYBREAK_DATA_ROOT: config.DAYBREAK_DATA_ROOT,
    DAYBREAK_STATE_DIR: config.DAYBREAK_STATE_DIR,
    DAYBREAK_SCRATCH_DIR: config.DAYBREAK_SCRATCH_DIR,
    SMTP_URL: smtp.url,
    ALERT_EMAIL_TO: 'oncall@team.test',
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    DAYBREAK_LOG_LEVEL: 'WARN',
  });
  const client = await connectClient(config);
  try {
    const handle = await startRun({
      client,
      config,
      pipeline: 'session-ranking',
      runDate: '2025-06-01',
      rawParams: {
        activity: path.join(empty, 'none'),
        profile: path.join(empty, 'none'),
        output: path.join(empty, 'out'),
      },
    });
    await expect(handle.result()).rejects.toThrow();
    await smtp.waitFor(1, 60_000);
  } finally {
    await client.connection.close();
  }
  let stoppedAt = 0;
  worker.child.stderr!.on('data', (c: Buffer) => {
    if (!stoppedAt && c.toString().includes('worker stopped')) stoppedAt = Date.now();
  });
  const exited = new Promise<number>((resolve) => worker.child.once('exit', () => resolve(Date.now())));
  worker.child.kill('SIGTERM');
  const exitedAt = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(0), 60_000))]);
  await worker.kill();
  expect(worker.output()).toContain('worker stopped');
  expect(exitedAt, 'the worker did not exit within 60 s of SIGTERM').toBeGreaterThan(0);
  expect(exitedAt - stoppedAt, 'ms from "worker stopped" to exit').toBeLessThan(5_000);
});
