// An in-process test worker whose alerts go by e-mail to a real SMTP sink (test/helpers/smtp-sink.ts),
// for tests that check what on-call receives; stop() closes both.
import { closeEmailTransports } from '../../alerts/email.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';
import { startTestWorker, testConfig, type TestWorker } from './temporal.js';

export interface AlertingWorker extends TestWorker {
  smtp: SmtpSink;
}

/** `overrides` go into the test config (beside SMTP_URL and ALERT_EMAIL_TO); `pipelines` as startTestWorker. */
export async function startAlertingWorker(
  overrides: Record<string, string> = {},
  pipelines?: Parameters<typeof startTestWorker>[1],
): Promise<AlertingWorker> {
  const smtp = await startSmtpSink();
  let env: TestWorker;
  try {
    env = await startTestWorker(
      testConfig({ SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'oncall@team.test', ...overrides }),
      pipelines,
    );
  } catch (err) {
    await smtp.close();
    throw err;
  }
  return {
    ...env,
    smtp,
    async stop() {
      await env.stop();
      closeEmailTransports();
      await smtp.close();
    },
  };
}
