// What every activity factory receives: validated config (and later metrics and clients).
import type { Config } from '../../lib/config.js';
import type { Checks } from '../../lib/quality/checks.js';

export interface ActivityDeps {
  config: Config;
  /** The data-quality checks the pipeline's definition declares on its output (activities/common/quality.ts). */
  checks?: Checks;
}

/** DuckDB session options from config, for one task. */
export function duckdbOptions(config: Config, progress = true) {
  return {
    memoryLimit: config.DAYBREAK_DUCKDB_MEMORY_LIMIT,
    threads: config.DAYBREAK_DUCKDB_THREADS,
    scratchDir: config.DAYBREAK_SCRATCH_DIR,
    progress,
  };
}
