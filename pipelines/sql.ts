// SQL pipelines in the catalogue: each `*.sql` file of DAYBREAK_PIPELINES_DIR becomes a definition
// like a built-in's (its inputs are datasets, so the DAG, sensors and lineage follow), run by the
// one generic workflow `sqlPipeline` whose input carries the file's definition. Loaded client-side
// (CLI, schedules) at every command: a new or changed file takes effect at the next run or apply.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { z } from 'zod';
import type { Config } from '../lib/config.js';
import { datasetByName, pipelineOutput, raw, type Dataset } from '../lib/datasets.js';
import type { SqlPipelineDefinition } from '../lib/sql-pipelines/definition.js';
import { PipelineFileError, type FileProblem } from '../lib/sql-pipelines/errors.js';
import { loadSqlPipelines, type LoadedSqlPipeline } from '../lib/sql-pipelines/load.js';
import {
  DEFAULT_GROUP_MB,
  DEFAULT_TARGET_FILE_MB,
  type SqlInputLocation,
  type SqlPipelineParams,
} from '../lib/sql-pipelines/params.js';
import { sqlPipeline } from '../workflows/sql-pipeline.js';
import { MAX_SHARDS } from '../lib/shards.js';
import { parseRunWorkflowId } from '../lib/contracts/run-id.js';
import {
  BUILT_IN_PIPELINES,
  catalogue,
  CatalogueError,
  makeCatalogue,
  ParamError,
  type Catalogue,
} from './index.js';
import { datasetUri } from './params.js';
import { definePipeline, type PipelineDefinition } from './types.js';

/** A positive number of MB given as a string (decimals allowed: tests split tiny inputs). */
function megabytes(fallback: number) {
  return z
    .string()
    .regex(/^\d+(\.\d+)?$/, {
      error: (iss) => `must be a positive number of MB; got ${JSON.stringify(iss.input)}`,
    })
    .transform(Number)
    .refine((n) => n > 0, { error: 'must be a positive number of MB' })
    .default(fallback);
}

/**
 * The dataset an input names: another pipeline's name is its output; `raw/<name>` is the raw
 * dataset, declared as the built-ins declare it when one reads it too (partitioned, published).
 */
export function inputDataset(
  ref: string,
  known: readonly PipelineDefinition[] = BUILT_IN_PIPELINES,
): Dataset {
  if (!ref.includes('/')) return pipelineOutput(ref);
  for (const p of known) {
    const same = Object.values(p.inputs).find((d) => d.name === ref);
    if (same) return same;
  }
  return ref.startsWith('raw/') ? raw(ref.slice('raw/'.length)) : datasetByName(ref);
}

/** The catalogue definition of one SQL pipeline; `sql` is what its runs carry. */
export function sqlPipelineDefinition(sql: SqlPipelineDefinition): PipelineDefinition {
  const inputs = Object.fromEntries(
    Object.entries(sql.inputs).map(([view, ref]) => [view, inputDataset(ref)]),
  );
  const shape: Record<string, z.ZodType<unknown, string | undefined>> = {};
  for (const [view, dataset] of Object.entries(inputs)) {
    shape[view] = datasetUri().describe(`input ${view} (${dataset.name}): the view the query reads`);
  }
  shape.output = datasetUri().describe('output prefix');
  shape.targetFileMB = megabytes(DEFAULT_TARGET_FILE_MB).describe('target output file size in MB');
  shape.groupMB = megabytes(DEFAULT_GROUP_MB).describe(
    "mode map: MB of the first input's files per task; mode shuffle: MB of an input's files per map task",
  );
  shape.buckets = z
    .string()
    .regex(/^[1-9]\d*$/, {
      error: (iss) => `must be a positive whole number; got ${JSON.stringify(iss.input)}`,
    })
    .transform(Number)
    .refine((n) => n <= MAX_SHARDS, { error: `at most ${MAX_SHARDS}` })
    .optional()
    .describe(
      'mode shuffle: the number of buckets (default: from the input sizes and DAYBREAK_DUCKDB_MEMORY_LIMIT)',
    );
  const params = z.object(shape).transform((p): SqlPipelineParams => {
    const values = p as Record<string, unknown>;
    const locations: Record<string, SqlInputLocation> = {};
    for (const [view, dataset] of Object.entries(inputs)) {
      locations[view] = {
        dataset: dataset.name,
        fromPipeline: dataset.producer !== undefined,
        uri: String(values[view]),
      };
    }
    return {
      definition: sql,
      inputs: locations,
      output: String(values.output),
      targetFileMB: Number(values.targetFileMB),
      groupMB: Number(values.groupMB),
      ...(values.buckets !== undefined ? { buckets: Number(values.buckets) } : {}),
    };
  });
  return definePipeline({
    name: sql.name,
    description: sql.description,
    owner: sql.owner,
    workflow: sqlPipeline,
    // The generic activities are the machinery's: every worker registers them (activities/index.ts).
    activities: async () => () => ({}),
    params,
    inputs,
    output: pipelineOutput(sql.name),
    alerts: { route: 'default' },
    sql,
  });
}

export interface LoadedCatalogue {
  catalogue: Catalogue;
  /** The SQL pipelines that loaded, with header lines for later messages. */
  sqlPipelines: LoadedSqlPipeline[];
  /** Files that did not parse (left out of the catalogue; `pipelines validate` reports them). */
  errors: PipelineFileError[];
}

/**
 * The problems of a SQL pipeline's inputs against the pipelines there are: an input naming no
 * pipeline, or a name clash with a built-in. Each names the file's line and key.
 */
function catalogueProblems(
  loaded: LoadedSqlPipeline,
  pipelineNames: ReadonlySet<string>,
  builtIns: ReadonlySet<string>,
): FileProblem[] {
  const { definition: def, lineOf } = loaded;
  const problems: FileProblem[] = [];
  if (builtIns.has(def.name)) {
    problems.push({ line: 1, message: `${def.name} is a built-in pipeline; name the file otherwise` });
  }
  for (const [view, ref] of Object.entries(def.inputs)) {
    if (!ref.includes('/') && !pipelineNames.has(ref)) {
      problems.push({
        line: lineOf(['inputs', view]),
        key: `inputs.${view}`,
        message: `no pipeline is named ${ref}; known: ${[...pipelineNames].sort().join(', ')}`,
      });
    } else if (ref === def.name) {
      problems.push({
        line: lineOf(['inputs', view]),
        key: `inputs.${view}`,
        message: 'a pipeline cannot read its own output',
      });
    }
  }
  return problems;
}

/**
 * The built-ins plus the SQL pipelines of `config.DAYBREAK_PIPELINES_DIR`, checked as one
 * catalogue. A file that does not parse, or reads a pipeline that does not exist, is left out and
 * reported in `errors` (the other pipelines still run).
 */
export async function loadCatalogue(config: Config): Promise<LoadedCatalogue> {
  const { pipelines, errors } = await loadSqlPipelines(config.DAYBREAK_PIPELINES_DIR);
  const builtIns = new Set(BUILT_IN_PIPELINES.map((p) => p.name));
  // A file that did not parse still names a pipeline: its readers are told it has problems (below).
  const names = new Set([
    ...builtIns,
    ...pipelines.map((p) => p.definition.name),
    ...errors.map((e) => path.basename(e.file, '.sql')),
  ]);
  const usable: LoadedSqlPipeline[] = [];
  const failed = [...errors];
  for (const loaded of pipelines) {
    const problems = catalogueProblems(loaded, names, builtIns);
    if (problems.length) failed.push(new PipelineFileError(loaded.definition.file, problems));
    else usable.push(loaded);
  }
  // A pipeline reading a left-out one goes too (its upstream is gone), until none is left to drop.
  for (let dropped = true; dropped;) {
    dropped = false;
    const present = new Set([...builtIns, ...usable.map((p) => p.definition.name)]);
    for (const [i, loaded] of usable.entries()) {
      const missing = Object.entries(loaded.definition.inputs).find(
        ([, ref]) => !ref.includes('/') && !present.has(ref),
      );
      if (!missing) continue;
      failed.push(
        new PipelineFileError(loaded.definition.file, [
          {
            line: loaded.lineOf(['inputs', missing[0]]),
            key: `inputs.${missing[0]}`,
            message: `reads ${missing[1]}, whose file has problems`,
          },
        ]),
      );
      usable.splice(i, 1);
      dropped = true;
      break;
    }
  }
  // What only the whole catalogue shows (a cycle through SQL files): the files it names go.
  for (;;) {
    try {
      const built = catalogue(usable.map((p) => sqlPipelineDefinition(p.definition)));
      return {
        catalogue: built,
        sqlPipelines: usable,
        errors: failed.sort((a, b) => (a.file < b.file ? -1 : 1)),
      };
    } catch (err) {
      if (!(err instanceof CatalogueError)) throw err;
      const named = usable.filter((p) =>
        new RegExp(`(^|[^a-z0-9-])${p.definition.name}($|[^a-z0-9-])`).test(err.message),
      );
      if (named.length === 0) throw err;
      for (const p of named) {
        failed.push(
          new PipelineFileError(p.definition.file, [
            { line: p.lineOf(['inputs']), key: 'inputs', message: err.message },
          ]),
        );
        usable.splice(usable.indexOf(p), 1);
      }
    }
  }
}

/** `catalogue` with `sql` as the definition of its pipeline (an earlier run's SQL, `--as-of-run`). */
export function withSqlDefinition(current: Catalogue, sql: SqlPipelineDefinition): Catalogue {
  const replaced = sqlPipelineDefinition(sql);
  const others = current.pipelines.filter((p) => p.name !== sql.name);
  return makeCatalogue([...others, replaced]);
}

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The definition an earlier run of SQL pipeline `pipeline` carried in its input (found by its run
 * id), so a re-run can repeat exactly that SQL.
 */
export async function earlierSqlDefinition(
  client: Client,
  pipeline: string,
  runId: string,
): Promise<SqlPipelineDefinition> {
  if (!RUN_ID.test(runId))
    throw new ParamError(`--as-of-run takes a run id (a UUID); got ${JSON.stringify(runId)}`);
  let workflowId: string | undefined;
  for await (const run of client.workflow.list({ query: `RunId = '${runId}'` })) workflowId = run.workflowId;
  if (workflowId === undefined) throw new ParamError(`no run ${runId} on this Temporal namespace`);
  const ran = parseRunWorkflowId(workflowId).pipeline;
  if (ran !== pipeline) throw new ParamError(`run ${runId} is a run of ${workflowId}, not of ${pipeline}`);
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = payload
    ? (defaultPayloadConverter.fromPayload(payload) as { params?: { definition?: SqlPipelineDefinition } })
    : undefined;
  const sql = input?.params?.definition;
  if (!sql || typeof sql.sql !== 'string')
    throw new ParamError(`run ${runId} (${workflowId}) is not a SQL pipeline run`);
  return sql;
}
