// What a pipeline definition holds: the one place that says what a pipeline is, what it reads,
// what it writes, which parameters it takes and what runs it. The CLI, schedules, the DAG, the
// worker and the docs all read it; nothing else names a pipeline's workflow or datasets.
import type { z } from 'zod';
import type { ActivityDeps } from '../activities/common/deps.js';
import type { PipelineInput } from '../lib/contracts/pipeline-input.js';
import type { Dataset } from '../lib/datasets.js';
import type { Checks } from '../lib/quality/checks.js';
import type { SqlPipelineDefinition } from '../lib/sql-pipelines/definition.js';

/** A workflow that runs one pipeline-date; its id is `<pipeline>/<date>`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any result; params are checked below
export type PipelineWorkflow<P = any> = (input: PipelineInput<P>) => Promise<unknown>;

/** Parameters: operator strings (`--param key=value`, schedule params) in, typed parameters out. */
export type ParamsSchema = z.ZodType<unknown, Record<string, string | undefined>>;

/** Builds a pipeline's activities (the worker registers them); loaded only by workers. */
export type ActivitiesFactory = (deps: ActivityDeps) => object;

export interface AlertDefaults {
  /** A route of alerts/routes.ts (checked when the catalogue is built). */
  route: string;
  /** A run should finish within this many seconds of its start (alerts when it does not). */
  slaSeconds?: number;
}

export interface PipelineDefinition<S extends ParamsSchema = ParamsSchema> {
  /** Kebab-case; the first part of the run id `<name>/<date>`, the `Pipeline` search attribute. */
  name: string;
  description: string;
  /** Team or person to ask about it. */
  owner: string;
  /** The exported workflow function that runs it (its name is the workflow type). */
  workflow: PipelineWorkflow<z.output<S>>;
  /** The activities its workflow calls, loaded by workers only (no DuckDB in the CLI). */
  activities: () => Promise<ActivitiesFactory>;
  /** Its parameters: types, defaults, validation messages and `--help` text. */
  params: S;
  /**
   * The datasets it reads, by the parameter that carries each one's URI (an unset parameter
   * defaults to the dataset for the run's date, lib/datasets.ts `inputDefault`). The DAG follows:
   * it runs after the pipelines whose outputs it reads.
   */
  inputs: Record<string, Dataset>;
  /** The one dataset it writes, `curated/<name>`; carried by the `output` parameter. */
  output: Dataset;
  alerts: AlertDefaults;
  /**
   * Data-quality checks on its output, run before the manifest is written (a failure is one
   * non-retryable DataQuality failure; nothing is published). The worker gives them to its activities.
   */
  checks?: Checks;
  /**
   * Set for a pipeline declared in a `.sql` file: the definition its runs carry (the DAG's branches
   * too), so workers build its parameters without a copy of the file.
   */
  sql?: SqlPipelineDefinition;
}

/** Type-checks a definition: the workflow must take what the schema produces. */
export function definePipeline<S extends ParamsSchema>(def: PipelineDefinition<S>): PipelineDefinition<S> {
  return def;
}

/** An operator mistake in parameters: the CLI prints its message only. */
export class ParamError extends Error {
  override name = 'ParamError';
}

export class UnknownPipelineError extends Error {
  override name = 'UnknownPipelineError';
}
