// Alert e-mail over SMTP with nodemailer: one pooled transport per SMTP URL, a plain-text and an
// HTML part, retried a few times on transient errors (connection, greeting, 4xx replies).
import nodemailer, { type Transporter } from 'nodemailer';

export interface EmailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export interface EmailSendOptions {
  maxAttempts?: number;
  backoffMs?: number;
  rejectUnauthorized?: boolean;
}

const transports = new Map<string, Transporter>();

function transportFor(smtpUrl: string, rejectUnauthorized: boolean): Transporter {
  const key = `${smtpUrl}|${rejectUnauthorized}`;
  let transport = transports.get(key);
  if (!transport) {
    transport = nodemailer.createTransport({
      url: smtpUrl,
      pool: true,
      maxConnections: 2,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      tls: { rejectUnauthorized, minVersion: 'TLSv1.2' },
    } as Parameters<typeof nodemailer.createTransport>[0]);
    transports.set(key, transport);
  }
  return transport;
}

/** Permanent SMTP rejections (5xx replies, bad login, bad envelope) are not retried. */
function isPermanent(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string };
  return (
    (e.responseCode !== undefined && e.responseCode >= 500) || e.code === 'EAUTH' || e.code === 'EENVELOPE'
  );
}

export async function sendEmail(
  smtpUrl: string,
  message: EmailMessage,
  opts: EmailSendOptions = {},
): Promise<{ attempts: number; messageId: string }> {
  const maxAttempts = opts.maxAttempts ?? 3;
  const transport = transportFor(smtpUrl, opts.rejectUnauthorized ?? true);
  for (let attempt = 1; ; attempt++) {
    try {
      const info = await transport.sendMail({ ...message, to: message.to.join(', ') });
      return { attempts: attempt, messageId: info.messageId };
    } catch (err) {
      if (attempt >= maxAttempts || isPermanent(err)) throw err;
      await new Promise((r) => setTimeout(r, (opts.backoffMs ?? 1000) * 2 ** (attempt - 1)));
    }
  }
}

/** Closes pooled connections (tests, shutdown). */
export function closeEmailTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}
