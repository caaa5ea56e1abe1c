// Alert routes, defined in code: a schedule names one in its memo (`alertRoute`); runs without one
// use `default`. A route says who gets e-mail and which Slack webhook; webhook URLs are secrets, so
// routes name them and the URLs come from config (SLACK_WEBHOOK_URL is "default",
// SLACK_WEBHOOK_URLS adds named ones).
import type { Config } from '../lib/config.js';
import type { ResolvedRoute } from './types.js';

export interface RouteDefinition {
  /** E-mail recipients; "env" means ALERT_EMAIL_TO (comma-separated). */
  email?: { to: string[] | 'env' };
  /** Name of a Slack webhook: "default" (SLACK_WEBHOOK_URL) or one from SLACK_WEBHOOK_URLS. */
  slack?: string;
}

export const ALERT_ROUTES: Record<string, RouteDefinition> = {
  /** On-call: e-mail and the default Slack channel. */
  default: { email: { to: 'env' }, slack: 'default' },
  /** E-mail only, for pipelines whose owners do not watch Slack. */
  'email-only': { email: { to: 'env' } },
  /** Slack only, for noisy, low-stakes pipelines (SLA misses of exploratory jobs). */
  'slack-only': { slack: 'default' },
  /** The data-platform team's own channel (webhook `data-platform` in SLACK_WEBHOOK_URLS) plus on-call e-mail. */
  'data-platform': { email: { to: 'env' }, slack: 'data-platform' },
};

export function slackWebhooks(config: Config): Map<string, string> {
  const hooks = new Map<string, string>();
  if (config.SLACK_WEBHOOK_URL) hooks.set('default', config.SLACK_WEBHOOK_URL);
  for (const pair of config.SLACK_WEBHOOK_URLS?.split(',') ?? []) {
    const at = pair.indexOf('=');
    hooks.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return hooks;
}

function splitAddresses(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Resolves a route name to concrete channels. An unknown name falls back to `default` (an alert
 * must never be lost to a typo) and says so in `warning`; a channel without configuration is left
 * out (no SMTP_URL: no e-mail).
 */
export function resolveRoute(
  config: Config,
  name: string | undefined,
): { route: ResolvedRoute; warning?: string } {
  const wanted = name ?? 'default';
  const known = Object.hasOwn(ALERT_ROUTES, wanted);
  const routeName = known ? wanted : 'default';
  const def = ALERT_ROUTES[routeName]!;
  const route: ResolvedRoute = { name: routeName };
  if (def.email && config.SMTP_URL) {
    const to = def.email.to === 'env' ? splitAddresses(config.ALERT_EMAIL_TO) : def.email.to;
    if (to.length) route.email = { from: config.ALERT_EMAIL_FROM, to };
  }
  if (def.slack) {
    const url = slackWebhooks(config).get(def.slack);
    if (url) route.slack = { name: def.slack, webhookUrl: url };
  }
  const warning = known ? undefined : `unknown alert route ${JSON.stringify(wanted)}; used "default"`;
  return { route, warning };
}
