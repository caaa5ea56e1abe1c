// The Temporal SDK runtime of this process: installed once, before any worker or client, with
// Daybreak's log level and the SDK's own Prometheus exporter (TEMPORAL_METRICS_PORT, 0 = off),
// named by Prometheus conventions (`_total` counters, unit suffixes, seconds).
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Config } from '../lib/config.js';

let installed = false;

export function installRuntime(config: Config): void {
  if (installed) return;
  installed = true;
  const level = (config.DAYBREAK_LOG_LEVEL === 'INFO' ? 'WARN' : config.DAYBREAK_LOG_LEVEL) as LogLevel;
  const logger = new DefaultLogger(level);
  if (config.TEMPORAL_METRICS_PORT === 0) {
    Runtime.install({ logger });
    return;
  }
  const bindAddress = `${config.METRICS_HOST}:${config.TEMPORAL_METRICS_PORT}`;
  try {
    Runtime.install({
      logger,
      telemetryOptions: {
        metrics: {
          prometheus: {
            bindAddress,
            countersTotalSuffix: true,
            unitSuffix: true,
            useSecondsForDurations: true,
          },
        },
      },
    });
  } catch (err) {
    // A busy port must not stop the worker: it runs without SDK metrics and says so.
    process.stderr.write(
      `daybreak: Temporal SDK metrics disabled, cannot serve them on ${bindAddress}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    Runtime.install({ logger });
  }
}
