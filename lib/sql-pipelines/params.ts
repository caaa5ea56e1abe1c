// The parameters of a SQL pipeline run (built from its definition by pipelines/sql.ts): where
// each input's data of the run date lives, where the output goes. The definition rides along, so
// the worker runs exactly the SQL the client read.
import type { SqlPipelineDefinition } from './definition.js';

/**
 * Where an input's rows are read from. Another pipeline's output (`fromPipeline`) is read only
 * through a `_SUCCESS` manifest; a raw dataset through its `dt=<date>` folder, or all of it when it
 * has none. A `--param <input>=<path>` override may name a file, folder or glob instead.
 */
export interface SqlInputLocation {
  /** The declared dataset: `curated/identity-join`, `raw/user_profile`. */
  dataset: string;
  fromPipeline: boolean;
  uri: string;
}

export interface SqlPipelineParams {
  definition: SqlPipelineDefinition;
  /** Per input (view name), in the header's order: the first is the one `mode: map` splits. */
  inputs: Record<string, SqlInputLocation>;
  /** Output prefix, published with a `_SUCCESS` manifest. */
  output: string;
  /** Target size of an output file. */
  targetFileMB: number;
  /** `mode: map`: MB of the first input's files per task; `mode: shuffle`: per map task. */
  groupMB: number;
  /** `mode: shuffle`: the bucket count asked for (default: sized from the inputs and memory). */
  buckets?: number;
}

export const DEFAULT_TARGET_FILE_MB = 128;
export const DEFAULT_GROUP_MB = 512;
