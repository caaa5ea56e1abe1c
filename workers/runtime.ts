// The Temporal SDK runtime of this process: installed once, before any worker or client, with
// Daybreak's log level and the SDK's own Prometheus exporter (TEMPORAL_METRICS_PORT, 0 = off),
// named by Prometheus conventions (`_total` counters, unit suffixes, seconds). Its logger also
// hands each entry to the per-attempt logs (lib/logs/capture.ts), at the configured level even
// where the console shows less.
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { LogMetadata, Logger } from '@temporalio/common';
import type { Config } from '../lib/config.js';
import { captureLogEntry } from '../lib/logs/capture.js';

let installed = false;

const SEVERITY: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** The console (or sink) logger, with every entry at `captureLevel` or above also sent to capture. */
class CapturingLogger implements Logger {
  constructor(
    private readonly console: Logger,
    private readonly captureLevel: LogLevel,
  ) {}
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (SEVERITY[level] >= SEVERITY[this.captureLevel]) captureLogEntry(level, message, meta);
    this.console.log(level, message, meta);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** `sink` receives every log entry instead of the console (`daybreak up` writes them to a file). */
export function installRuntime(config: Config, sink?: (entry: LogEntry) => void): void {
  if (installed) return;
  installed = true;
  const level = (config.DAYBREAK_LOG_LEVEL === 'INFO' ? 'WARN' : config.DAYBREAK_LOG_LEVEL) as LogLevel;
  const logger = new CapturingLogger(
    sink ? new DefaultLogger(level, sink) : new DefaultLogger(level),
    config.DAYBREAK_LOG_LEVEL,
  );
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
