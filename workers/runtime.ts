// The Temporal SDK runtime of this process: installed once, before any worker or client, with
// Daybreak's log level and the SDK's own Prometheus exporter (TEMPORAL_METRICS_PORT, 0 = off),
// named by Prometheus conventions (`_total` counters, unit suffixes, seconds).
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { Config } from '../lib/config.js';

let installed = false;

/** `sink` receives every log entry instead of the console (`daybreak up` writes them to a file). */
export function installRuntime(config: Config, sink?: (entry: LogEntry) => void): void {
  if (installed) return;
  installed = true;
  const level = (config.DAYBREAK_LOG_LEVEL === 'INFO' ? 'WARN' : config.DAYBREAK_LOG_LEVEL) as LogLevel;
  const logger = sink ? new DefaultLogger(level, sink) : new DefaultLogger(level);
  // With a sink, the SDK core's own (Rust) log lines go there too instead of straight to the console.
  const logging = sink ? { forward: {} } : undefined;
  if (config.TEMPORAL_METRICS_PORT === 0) {
    Runtime.install({ logger, telemetryOptions: { logging } });
    return;
  }
  const bindAddress = `${config.METRICS_HOST}:${config.TEMPORAL_METRICS_PORT}`;
  try {
    Runtime.install({
      logger,
      telemetryOptions: {
        logging,
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
    const message = `Temporal SDK metrics disabled, cannot serve them on ${bindAddress}: ${err instanceof Error ? err.message : String(err)}`;
    if (sink) sink({ level: 'WARN', message, timestampNanos: BigInt(Date.now()) * 1_000_000n });
    else process.stderr.write(`daybreak: ${message}\n`);
    Runtime.install({ logger, telemetryOptions: { logging } });
  }
}
