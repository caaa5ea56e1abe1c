// The parameters of a SQL pipeline run, built client-side (`daybreak run`, schedules, the DAG's
// plan) from its definition: where each input's partition of the run date lives, where the output
// goes. The definition rides along, so the worker runs exactly the SQL the client read.
import type { Config } from '../config.js';
import { curatedOutput } from '../paths.js';
import { joinUri } from '../storage/uri.js';
import type { SqlPipelineDefinition } from './definition.js';

/**
 * Where an input's rows are found for the run date:
 * - `output`: another pipeline's output partition: only the files its `_SUCCESS` manifest lists;
 * - `dataset`: a dataset root under the data root: its `dt=<date>` folder, or all of it when it
 *   has no `dt=` folders;
 * - `path`: an explicit file, folder or glob (a `--param <input>=...` override), read as is.
 */
export interface SqlInputLocation {
  /** The dataset as declared (`identity-join`, `raw/user_profile`) or the override. */
  dataset: string;
  kind: 'output' | 'dataset' | 'path';
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
  /** `mode: map`: bytes of the first input's files per task. */
  groupMB: number;
}

export const DEFAULT_TARGET_FILE_MB = 128;
export const DEFAULT_GROUP_MB = 512;

/** Parameters a run of any SQL pipeline accepts besides one override per input name. */
export const SQL_PIPELINE_PARAMS: Record<string, string> = {
  output: 'output prefix; default <root>/curated/<name>/dt=<date>',
  targetFileMB: `target output file size in MB; default ${DEFAULT_TARGET_FILE_MB}`,
  groupMB: `mode: map: MB of the first input's files per task; default ${DEFAULT_GROUP_MB}`,
};

export class SqlParamError extends Error {
  override name = 'ParamError';
}

function positive(raw: Record<string, string>, key: string, fallback: number): number {
  const value = raw[key];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
    throw new SqlParamError(`parameter ${key} must be a positive number; got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Where a declared input is read from, before any override. */
export function inputLocation(dataset: string, root: string, runDate: string): SqlInputLocation {
  return dataset.includes('/')
    ? { dataset, kind: 'dataset', uri: joinUri(root, dataset) }
    : { dataset, kind: 'output', uri: curatedOutput(root, dataset, runDate) };
}

export function buildSqlPipelineParams(
  definition: SqlPipelineDefinition,
  raw: Record<string, string>,
  ctx: { config: Config; runDate: string },
): SqlPipelineParams {
  const root = ctx.config.DAYBREAK_DATA_ROOT;
  for (const key of Object.keys(raw)) {
    if (!(key in SQL_PIPELINE_PARAMS) && !(key in definition.inputs)) {
      throw new SqlParamError(
        `${definition.name} has no parameter ${JSON.stringify(key)}; known: ${[...Object.keys(SQL_PIPELINE_PARAMS), ...Object.keys(definition.inputs)].join(', ')}`,
      );
    }
  }
  const inputs: Record<string, SqlInputLocation> = {};
  for (const [name, dataset] of Object.entries(definition.inputs)) {
    const override = raw[name];
    inputs[name] = override
      ? { dataset: override, kind: 'path', uri: override }
      : inputLocation(dataset, root, ctx.runDate);
  }
  return {
    definition,
    inputs,
    output: raw.output ?? curatedOutput(root, definition.name, ctx.runDate),
    targetFileMB: positive(raw, 'targetFileMB', DEFAULT_TARGET_FILE_MB),
    groupMB: positive(raw, 'groupMB', DEFAULT_GROUP_MB),
  };
}
