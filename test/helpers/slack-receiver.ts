// A local HTTP receiver that answers like a Slack incoming webhook: 200 "ok" by default, or the
// scripted answers (429 with Retry-After, 400 invalid_blocks, 500 ...) queued per path.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface ReceivedSlackMessage {
  path: string;
  at: number;
  payload: { text: string; blocks: { type: string; text?: { type: string; text: string } }[] };
  answered: number;
}

export interface SlackReceiver {
  url(path?: string): string;
  messages: ReceivedSlackMessage[];
  /** Queues answers for the next requests to `path`. */
  script(path: string, ...answers: SlackAnswer[]): void;
  close(): Promise<void>;
}

/** Listens on `port` (0: a free one; a fixed one lets a test bring a "down" receiver up again). */
export async function startSlackReceiver(port = 0): Promise<SlackReceiver> {
  const scripts = new Map<string, SlackAnswer[]>();
  const messages: ReceivedSlackMessage[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      const answer = scripts.get(path)?.shift() ?? { status: 200, body: 'ok' };
      let payload: ReceivedSlackMessage['payload'];
      try {
        payload = JSON.parse(raw) as ReceivedSlackMessage['payload'];
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
        return;
      }
      messages.push({ path, at: Date.now(), payload, answered: answer.status });
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: (path = '/services/T000/B000/XXXX') => `http://127.0.0.1:${bound}${path}`,
    messages,
    script(path, ...answers) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...answers]);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive sockets too: closed means down
      }),
  };
}
