// Runs the feature API until SIGINT/SIGTERM, then stops accepting, finishes in-flight requests
// and closes Redis (graceful shutdown). With processes > 1 a primary forks that many API processes
// sharing the port (node:cluster): one Node process tops out at roughly one core.
import cluster from 'node:cluster';
import type { Config } from '../lib/config.js';
import { createApiServer } from './server.js';
import { loadTokens } from './tokens.js';

export interface RunApiOptions {
  host?: string;
  port?: number;
  processes?: number;
}

async function runPrimary(processes: number): Promise<void> {
  let stopping = false;
  let alive = processes;
  for (let i = 0; i < processes; i++) cluster.fork();
  await new Promise<void>((resolve) => {
    cluster.on('exit', (worker, code) => {
      if (!stopping) {
        process.stderr.write(
          `daybreak: API process ${worker.process.pid} exited (${code}); starting another\n`,
        );
        cluster.fork();
      } else if (--alive === 0) resolve();
    });
    const stop = (signal: NodeJS.Signals) => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  process.stderr.write('daybreak: feature API stopped\n');
}

export async function runApi(config: Config, opts: RunApiOptions = {}): Promise<void> {
  const tokens = loadTokens(config);
  if ((opts.processes ?? 1) > 1 && cluster.isPrimary) return runPrimary(opts.processes!);
  let lastLogged = 0;
  const { app } = createApiServer({
    redisUrl: config.REDIS_URL,
    tokens,
    // At most one line a second: a Redis outage must not flood the log.
    onUnavailable: (err) => {
      if (Date.now() - lastLogged < 1000) return;
      lastLogged = Date.now();
      process.stderr.write(
        `daybreak: feature API answering 503: ${err.name}: ${err.message.split('\n')[0]}\n`,
      );
    },
  });
  const host = opts.host ?? config.API_HOST;
  const port = opts.port ?? config.API_PORT;
  const address = await app.listen({ host, port });
  process.stderr.write(`daybreak: feature API listening on ${address} (pid ${process.pid})\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`daybreak: ${signal}: draining the feature API (pid ${process.pid})\n`);
      void app.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // A cluster worker's IPC channel would keep it alive: leave the cluster once drained.
  if (cluster.isWorker) cluster.worker?.disconnect();
  else process.stderr.write('daybreak: feature API stopped\n');
}
