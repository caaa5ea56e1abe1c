// The Temporal SDK runtime of this process: installed once, before any worker or client, with
// Daybreak's log level. (Telemetry and metrics exporters are configured here too.)
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Config } from '../lib/config.js';

let installed = false;

export function installRuntime(config: Config): void {
  if (installed) return;
  installed = true;
  const level = (config.DAYBREAK_LOG_LEVEL === 'INFO' ? 'WARN' : config.DAYBREAK_LOG_LEVEL) as LogLevel;
  Runtime.install({ logger: new DefaultLogger(level) });
}
