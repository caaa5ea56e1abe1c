// A log file for the local stack's own processes (`daybreak up`, `run --embedded`): the Temporal
// SDK's entries (activity failures with their stacks, retries) and anything else too long or too
// noisy for the console go here, one line each, appended.
import fs from 'node:fs';
import path from 'node:path';
import type { LogEntry } from '@temporalio/worker';

export interface LogFile {
  file: string;
  write(line: string): void;
  /** The Temporal SDK's log sink. */
  sdkSink(entry: LogEntry): void;
  close(): void;
}

function stringify(meta: Record<string, unknown> | undefined): string {
  if (!meta || Object.keys(meta).length === 0) return '';
  return ` ${JSON.stringify(meta, (_k, v: unknown) => (v instanceof Error ? (v.stack ?? v.message) : v))}`;
}

export function openLogFile(file: string): LogFile {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  let open = true;
  const write = (line: string) => {
    if (open) fs.writeSync(fd, `${new Date().toISOString()} ${line}\n`);
  };
  return {
    file,
    write,
    sdkSink: (entry) => write(`[${entry.level}] ${entry.message}${stringify(entry.meta)}`),
    close() {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
}
