// Starts the feature API on a free port for a test, with one known token.
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../api/server.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** Causes of 503 'unavailable' answers, for assertion messages. */
export const unavailableCauses: string[] = [];

export interface TestApi {
  url: string;
  app: FastifyInstance;
  get(path: string, token?: string | null): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  post(path: string, body: unknown, token?: string | null): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

export async function startTestApi(redisUrl: string, redisTimeoutMs?: number): Promise<TestApi> {
  const { app, redis } = createApiServer({
    redisUrl,
    tokens: [TEST_TOKEN, 'second-token-abcdefghijklmnop'],
    redisTimeoutMs,
    onUnavailable: (err) => unavailableCauses.push(`${err.name}: ${err.message.split('\n')[0]}`),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  // Like a readiness probe in front of a real deployment: no traffic before Redis is connected.
  for (let i = 0; redis.status !== 'ready'; i++) {
    if (i > 400) throw new Error(`the API's Redis connection is ${redis.status} after 20 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const call = async (method: string, path: string, body: unknown, token: string | null | undefined) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token ?? TEST_TOKEN}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* metrics are text */
    }
    return { status: res.status, body: parsed as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  return {
    url,
    app,
    get: (path, token) => call('GET', path, undefined, token),
    post: (path, body, token) => call('POST', path, body, token),
    close: () => app.close(),
  };
}
