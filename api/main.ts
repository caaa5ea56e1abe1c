// Runs the feature API until SIGINT/SIGTERM, then stops accepting, finishes in-flight requests
// and closes Redis (graceful shutdown).
import type { Config } from '../lib/config.js';
import { createApiServer } from './server.js';
import { loadTokens } from './tokens.js';

export async function runApi(config: Config, opts: { host?: string; port?: number } = {}): Promise<void> {
  const tokens = loadTokens(config);
  const { app } = createApiServer({ redisUrl: config.REDIS_URL, tokens });
  const host = opts.host ?? config.API_HOST;
  const port = opts.port ?? config.API_PORT;
  const address = await app.listen({ host, port });
  process.stderr.write(`daybreak: feature API listening on ${address}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`daybreak: ${signal}: draining the feature API\n`);
      void app.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  process.stderr.write('daybreak: feature API stopped\n');
}
