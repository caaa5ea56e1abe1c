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

/** Per webhook: the earliest time the next request may start (interval after the last one ended, or a 429's Retry-After). */
const nextSlot = new Map<string, number>();
/** Per webhook: the tail of the queue of senders, so requests go out one at a time. */
const queues = new Map<string, Promise<void>>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `send` when it is this sender's turn on the webhook: after the previous request to it has
 * finished and `minIntervalMs` has passed since then, so messages arrive at most one per interval
 * even when a request is slow to connect.
 */
async function inTurn<T>(url: string, minIntervalMs: number, send: () => Promise<T>): Promise<T> {
  const previous = queues.get(url) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  queues.set(url, tail);
  await previous;
  try {
    const wait = (nextSlot.get(url) ?? 0) - Date.now();
    if (wait > 0) await sleep(wait);
    return await send();
  } finally {
    nextSlot.set(url, Math.max(nextSlot.get(url) ?? 0, Date.now() + minIntervalMs));
    release();
    if (queues.get(url) === tail) queues.delete(url);
  }
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
    let response: Response;
    let text: string;
    try {
      [response, text] = await inTurn(webhook.url, minIntervalMs, async () => {
        const res = await fetch(webhook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
        return [res, (await res.text()).trim().slice(0, 200)] as const;
      });
    } catch (err) {
      // Network errors may mention the URL: keep only the error's class and code.
      const e = err as Error & { cause?: { code?: string } };
      lastProblem = `network error ${e.cause?.code ?? e.name}`;
      if (attempt < maxAttempts) await sleep(backoffMs * 2 ** (attempt - 1));
      continue;
    }
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
