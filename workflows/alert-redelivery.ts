// Durable redelivery of an alert some channel failed to deliver (started by alerts/service.ts):
// retries the failed channels with backoff (first wait ALERT_RETRY_FIRST_SECONDS, doubling up to
// 30 minutes) for ALERT_RETRY_HOURS, across worker restarts. While no channel delivered it each
// attempt claims the alert's dedup class first, so an alert another sender delivered meanwhile is
// not sent twice. Gives up counted (daybreak_alerts_given_up_total), never silently.
import { log, proxyActivities, sleep } from '@temporalio/workflow';
import type { AlertActivities, RedeliveryInput, RedeliveryResult } from '../activities/alerts/types.js';

const MAX_WAIT_MS = 30 * 60_000;

const alerts = proxyActivities<AlertActivities>({
  startToCloseTimeout: '3m',
  retry: { initialInterval: '5s', maximumAttempts: 3 },
});

export async function alertRedelivery(input: RedeliveryInput): Promise<RedeliveryResult> {
  let { channels, dedup } = input;
  const deadline = Date.now() + input.retryForMs;
  let wait = input.firstRetryMs;
  for (let attempts = 1; ; attempts++) {
    await sleep(wait);
    try {
      const r = await alerts.redeliverAlert({ alert: input.alert, route: input.route, channels, dedup });
      if (r.superseded) return { attempts, superseded: true, undelivered: [] };
      if (r.deliveredSome) dedup = undefined;
      channels = r.failed;
    } catch (err) {
      log.warn('alert redelivery attempt failed', { error: String(err) }); // e.g. Temporal unreachable: retry
    }
    if (channels.length === 0) return { attempts, superseded: false, undelivered: [] };
    wait = Math.min(wait * 2, MAX_WAIT_MS);
    if (Date.now() + wait > deadline) {
      await alerts.noteAlertGivenUp({ kind: input.alert.kind, channels });
      return { attempts, superseded: false, undelivered: channels };
    }
  }
}
