// Sends one alert to every channel of its route. A failing channel is retried (inside its sender),
// logged and counted, and never throws: the alert's other channels still go out and the run's own
// outcome is untouched.
import type { Config } from '../lib/config.js';
import { alertDeliveryFailures, alertsGivenUp, alertsSent } from '../lib/metrics.js';
import { alertHtml, alertSlackPayload, alertSubject, alertText } from './content.js';
import { sendEmail } from './email.js';
import { redact } from '../lib/redact.js';
import { resolveRoute } from './routes.js';
import { postToSlack, type SlackSendOptions } from './slack.js';
import { ALERT_KINDS, CHANNELS, type Alert, type Channel, type ChannelResult } from './types.js';

/**
 * Every delivery-failure series at 0 for each channel, at worker start: a series born at 1 (the
 * first failure) shows no increase() to Prometheus, so a rule over it would not fire.
 */
export function initDeliveryCounters(): void {
  for (const channel of CHANNELS) {
    alertDeliveryFailures.inc({ channel }, 0);
    for (const kind of ALERT_KINDS) alertsGivenUp.inc({ channel, kind }, 0);
  }
}

export interface AlertLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export const stderrLogger: AlertLogger = {
  info: (m, meta) => process.stderr.write(`daybreak alerts: ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`),
  warn: (m, meta) => process.stderr.write(`daybreak alerts: ${m}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`),
};

export interface DeliverOptions {
  log?: AlertLogger;
  /** Only these of the route's channels (a redelivery, or what an earlier attempt left); default all. */
  channels?: readonly Channel[];
  /** Called as each channel delivers, before the others finish (a failure here is only logged). */
  onDelivered?: (channel: Channel) => Promise<unknown>;
  slack?: SlackSendOptions;
  emailBackoffMs?: number;
}

export async function deliverAlert(
  config: Config,
  alert: Alert,
  routeName: string | undefined,
  opts: DeliverOptions = {},
): Promise<ChannelResult[]> {
  const log = opts.log ?? stderrLogger;
  const { route, warning } = resolveRoute(config, routeName);
  if (warning) log.warn(warning);
  const sends: Promise<ChannelResult>[] = [];
  const wanted = (c: Channel) => !opts.channels || opts.channels.includes(c);
  const delivered = async (channel: Channel): Promise<ChannelResult> => {
    await opts
      .onDelivered?.(channel)
      .catch((err: unknown) => log.warn(`recording the ${channel} delivery failed`, { error: String(err) }));
    return { channel, ok: true };
  };
  if (route.email && config.SMTP_URL && wanted('email')) {
    const smtpUrl = config.SMTP_URL;
    const to = route.email.to;
    const from = route.email.from;
    sends.push(
      sendEmail(
        smtpUrl,
        { from, to, subject: alertSubject(alert), text: alertText(alert), html: alertHtml(alert) },
        { rejectUnauthorized: config.SMTP_TLS_REJECT_UNAUTHORIZED, backoffMs: opts.emailBackoffMs },
      ).then(
        () => delivered('email'),
        (err: unknown): ChannelResult => ({ channel: 'email', ok: false, error: redact(String(err), 300) }),
      ),
    );
  }
  if (route.slack && wanted('slack')) {
    sends.push(
      postToSlack(
        { name: route.slack.name, url: route.slack.webhookUrl },
        alertSlackPayload(alert),
        opts.slack,
      ).then(
        () => delivered('slack'),
        (err: unknown): ChannelResult => ({ channel: 'slack', ok: false, error: redact(String(err), 300) }),
      ),
    );
  }
  const results = await Promise.all(sends);
  for (const r of results) {
    if (r.ok) {
      alertsSent.inc({ channel: r.channel, kind: alert.kind });
    } else {
      alertDeliveryFailures.inc({ channel: r.channel });
      log.warn(`alert delivery failed on ${r.channel}`, {
        kind: alert.kind,
        route: route.name,
        error: r.error,
      });
    }
  }
  // Asked for no channel (an earlier attempt delivered them all): nothing to warn about.
  if (results.length === 0 && opts.channels?.length !== 0)
    log.warn('alert has no configured channel', { kind: alert.kind, route: route.name });
  else
    log.info(`alert ${alertSubject(alert)} sent`, {
      route: route.name,
      channels: results.map((r) => `${r.channel}:${r.ok}`),
    });
  return results;
}
