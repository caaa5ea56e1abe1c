// How much memory one task's DuckDB may use: DAYBREAK_DUCKDB_MEMORY_LIMIT, or without it DuckDB's
// own default (80% of RAM) shared by the tasks a worker runs at once. Planners size shards from it.
import os from 'node:os';
import type { Config } from '../../lib/config.js';

const UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/** "4GB" -> bytes (the forms lib/config.ts accepts). */
export function parseByteSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(value.trim());
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`not a byte size: ${JSON.stringify(value)}`);
  return Number(m[1]) * unit;
}

/** Bytes one task's DuckDB may hold in memory. */
export function taskMemoryBytes(opts: {
  memoryLimit?: string;
  concurrentTasks: number;
  totalMemory?: number;
}): number {
  return opts.memoryLimit
    ? parseByteSize(opts.memoryLimit)
    : ((opts.totalMemory ?? os.totalmem()) * 0.8) / Math.max(1, opts.concurrentTasks);
}

/** taskMemoryBytes for a worker's config. */
export function configTaskMemory(config: Config): number {
  return taskMemoryBytes({
    memoryLimit: config.DAYBREAK_DUCKDB_MEMORY_LIMIT,
    concurrentTasks: config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES,
  });
}
