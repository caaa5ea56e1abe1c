// The e-mail sender against a real SMTP server (smtp-server): transient 4xx replies are retried,
// permanent 5xx ones are not, and both parts (text and HTML) arrive.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { closeEmailTransports, sendEmail } from '../../alerts/email.js';

let server: SMTPServer;
let url: string;
const answers: (number | undefined)[] = [];
const received: ParsedMail[] = [];
let attemptsSeen = 0;

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      attemptsSeen++;
      const code = answers.shift();
      simpleParser(stream).then((mail) => {
        if (code === undefined) {
          received.push(mail);
          callback();
          return;
        }
        callback(
          Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), {
            responseCode: code,
          }),
        );
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  closeEmailTransports();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const message = {
  from: 'daybreak@alerts.test',
  to: ['oncall@team.test'],
  subject: '[Daybreak] FAILED p 2025-01-01: BadInput',
  text: 'Pipeline: p',
  html: '<p>Pipeline: p</p>',
};

test('a 451 is retried and the message then arrives with a text and an HTML part', async () => {
  answers.push(451);
  const before = attemptsSeen;
  const result = await sendEmail(url, message, { backoffMs: 50 });
  expect(result.attempts).toBe(2);
  expect(attemptsSeen - before).toBe(2);
  const mail = received.at(-1)!;
  expect(mail.subject).toBe(message.subject);
  expect(mail.text?.trim()).toBe('Pipeline: p');
  expect(mail.html).toContain('<p>Pipeline: p</p>');
});

test('a 550 is permanent: one attempt, the error surfaces', async () => {
  answers.push(550);
  const before = attemptsSeen;
  await expect(sendEmail(url, message, { backoffMs: 50 })).rejects.toMatchObject({ responseCode: 550 });
  expect(attemptsSeen - before).toBe(1);
});
