// `daybreak api`: serve the online feature store over HTTP (REDIS_URL, API_HOST, API_PORT,
// DAYBREAK_API_TOKENS or DAYBREAK_API_TOKENS_FILE).
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../../lib/config.js';

export function apiCommand(): Command {
  return new Command('api')
    .description(
      'serve the online feature store: GET /v1/{id}/{view}, POST /v1/batch/{view}, /healthz, /readyz, /metrics',
    )
    .option('--host <host>', 'listen address (default API_HOST)')
    .option('--port <port>', 'listen port (default API_PORT)', (v) => Number(v))
    .option('--processes <n>', 'API processes sharing the port (node:cluster); default 1', (v) => Number(v))
    .action(async (opts: { host?: string; port?: number; processes?: number }) => {
      const config = loadConfig();
      const [{ runApi }, { TokenConfigError }] = await Promise.all([
        import('../../api/main.js'),
        import('../../api/tokens.js'),
      ]);
      try {
        await runApi(config, opts);
      } catch (err) {
        if (err instanceof TokenConfigError) throw new ConfigError(err.message);
        throw err;
      }
    });
}
