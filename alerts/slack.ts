// A small Slack incoming-webhook sender on fetch: at most one message per second per webhook,
// honours 429 Retry-After, retries 5xx and network errors, never 4xx, and surfaces Slack's error
// body (invalid_blocks, channel_not_found, ...). The webhook URL is a secret: errors name the
// webhook by its route name only.

export interface SlackWebhook {
  /** Route-level name, safe to log. */
  name: string;
  url: string;
}

export interface SlackSendOptions {
  maxAttempts?: number;
  /** Minimum gap between two messages to one webhook. */
  minIntervalMs?: number;
  /** Backoff base for 5xx and network errors. */
  backoffMs?: number;
  /** A Retry-After longer than this is not waited for: the send fails instead. */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
}

export class SlackError extends Error {
  override name = 'SlackError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly slackError: string | undefined,
    readonly attempts: number,
  ) {
    super(message);
  }
}

const nextSlot = new Map<string, number>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reserves the next send slot of a webhook (one per `minIntervalMs`) and waits for it. */
async function waitTurn(url: string, minIntervalMs: number): Promise<void> {
  const now = Date.now();
  const slot = Math.max(now, nextSlot.get(url) ?? 0);
  nextSlot.set(url, slot + minIntervalMs);
  if (slot > now) await sleep(slot - now);
}

function retryAfterMs(header: string | null): number {
  if (!header) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
}

/** Posts one message; resolves with the number of attempts, or throws SlackError. */
export async function postToSlack(
  webhook: SlackWebhook,
  payload: unknown,
  opts: SlackSendOptions = {},
): Promise<{ attempts: number }> {
  const maxAttempts = opts.maxAttempts ?? 5;
  const minIntervalMs = opts.minIntervalMs ?? 1000;
  const backoffMs = opts.backoffMs ?? 500;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 60_000;
  const body = JSON.stringify(payload);
  let lastProblem = '';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    await waitTurn(webhook.url, minIntervalMs);
    let response: Response;
    try {
      response = await fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      // Network errors may mention the URL: keep only the error's class and code.
      const e = err as Error & { cause?: { code?: string } };
      lastProblem = `network error ${e.cause?.code ?? e.name}`;
      if (attempt < maxAttempts) await sleep(backoffMs * 2 ** (attempt - 1));
      continue;
    }
    const text = (await response.text()).trim().slice(0, 200);
    if (response.ok) return { attempts: attempt };
    lastProblem = `answered ${response.status}: ${text || response.statusText}`;
    if (response.status === 429) {
      const wait = retryAfterMs(response.headers.get('retry-after'));
      if (wait > maxRetryAfterMs || attempt === maxAttempts) break;
      // Every sender to this webhook backs off, not only this message.
      nextSlot.set(webhook.url, Math.max(nextSlot.get(webhook.url) ?? 0, Date.now() + wait));
      continue;
    }
    if (response.status >= 400 && response.status < 500) {
      throw new SlackError(`slack webhook ${webhook.name} ${lastProblem}`, response.status, text, attempt);
    }
    if (attempt < maxAttempts) await sleep(backoffMs * 2 ** (attempt - 1));
  }
  throw new SlackError(`slack webhook ${webhook.name} ${lastProblem}`, undefined, undefined, maxAttempts);
}
