// What the CLI, schedules and the DAG need to know about a pipeline: its workflow type and how
// to turn operator parameters (`--param key=value`) into the workflow's typed parameters.
import type { Config } from '../config.js';

export interface ParamContext {
  config: Config;
  runDate: string;
}

export interface PipelineDefinition<P = unknown> {
  /** Kebab-case name, the first part of the workflow id `<name>/<date>`. */
  name: string;
  /** The exported workflow function's name in workflows/index.ts. */
  workflowType: string;
  description: string;
  /** Documented parameters (for --help and docs). */
  params: Record<string, string>;
  /** Builds typed params; throws an Error naming the parameter when one is invalid. */
  buildParams(raw: Record<string, string>, ctx: ParamContext): P;
}

export class ParamError extends Error {
  override name = 'ParamError';
}

/** Reads an optional positive integer parameter. */
export function intParam(raw: Record<string, string>, key: string, fallback?: number): number | undefined {
  const value = raw[key];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) <= 0) {
    throw new ParamError(`parameter ${key} must be a positive whole number; got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Rejects parameters the pipeline does not know (a typo should not be silently ignored). */
export function checkKnownParams(
  def: Pick<PipelineDefinition, 'name' | 'params'>,
  raw: Record<string, string>,
): void {
  for (const key of Object.keys(raw)) {
    if (!(key in def.params)) {
      throw new ParamError(
        `${def.name} has no parameter ${JSON.stringify(key)}; known: ${Object.keys(def.params).join(', ')}`,
      );
    }
  }
}
