// `daybreak healthcheck`: the container health probe. Asks this container's own HTTP endpoint
// (the worker's metrics server or the feature API's /healthz) on loopback and exits 0 when it
// answers 2xx, 1 otherwise. Ports come from the same config the server used.
import { Command, Option } from 'commander';
import { loadConfig, type Config } from '../../lib/config.js';

export type HealthTarget = 'metrics' | 'api';

export function healthUrl(config: Config, target: HealthTarget): string {
  return target === 'api'
    ? `http://127.0.0.1:${config.API_PORT}/healthz`
    : `http://127.0.0.1:${config.METRICS_PORT}/metrics`;
}

export function healthcheckCommand(): Command {
  return new Command('healthcheck')
    .description("probe this container's endpoint: exit 0 when it answers 2xx (Docker HEALTHCHECK)")
    .addOption(
      new Option('--target <name>', 'metrics: the worker metrics server; api: the feature API')
        .choices(['metrics', 'api'])
        .default('metrics'),
    )
    .option('--timeout <ms>', 'give up after this many milliseconds', (v) => Number(v), 5000)
    .action(async (opts: { target: HealthTarget; timeout: number }) => {
      const url = healthUrl(loadConfig(), opts.target);
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeout) });
        await res.arrayBuffer();
        if (res.ok) return;
        process.stderr.write(`daybreak: healthcheck ${url} answered ${res.status}\n`);
      } catch (err) {
        process.stderr.write(
          `daybreak: healthcheck ${url} failed: ${err instanceof Error ? err.message : String(err)}\n`,
        );
      }
      process.exitCode = 1;
    });
}
