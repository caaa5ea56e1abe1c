// `daybreak pipelines validate` and `schedules apply --dry-run` for SQL pipelines: on top of the
// header checks of loading, DuckDB binds each query against its inputs' newest data (without
// running it), prints the output schema, refuses `mode: map` for plans that are not row-wise,
// `mode: shuffle` for queries whose joins and groupings do not keep to shardBy, and
// checks on columns the query does not produce.
import fs from 'node:fs/promises';
import path from 'node:path';
import { latestData } from '../activities/sql-pipeline/inputs.js';
import { stageAll } from '../activities/common/staging.js';
import type { Config } from '../lib/config.js';
import type { OutputColumn } from '../lib/sql-pipelines/bind.js';
import { PipelineFileError } from '../lib/sql-pipelines/errors.js';
import { checkQuery } from '../lib/sql-pipelines/query-check.js';
import { isGcsUri } from '../lib/storage/index.js';
import type { LoadedCatalogue } from './sql.js';

export interface ValidatedInput {
  view: string;
  dataset: string;
  /** The partition whose columns the query was bound against (unset: the whole dataset). */
  partition?: string;
  files: number;
}

export interface ValidatedPipeline {
  name: string;
  file: string;
  mode: string;
  /** mode shuffle: the column the inputs are split by. */
  shardBy?: string;
  inputs: ValidatedInput[];
  /** The output schema; unset when an input has no data yet to bind against. */
  columns?: OutputColumn[];
  /** Why the query was not bound (an input without data yet). */
  notBound?: string;
}

export interface ValidationResult {
  pipelines: ValidatedPipeline[];
  errors: PipelineFileError[];
}

/** Binds every loaded SQL pipeline; problems are collected per file, never thrown. */
export async function validateSqlPipelines(
  config: Config,
  loaded: LoadedCatalogue,
): Promise<ValidationResult> {
  const result: ValidationResult = { pipelines: [], errors: [...loaded.errors] };
  await fs.mkdir(config.DAYBREAK_SCRATCH_DIR, { recursive: true });
  const scratch = await fs.mkdtemp(path.join(config.DAYBREAK_SCRATCH_DIR, 'validate-'));
  try {
    for (const { definition, lineOf } of loaded.sqlPipelines) {
      const def = loaded.catalogue.get(definition.name);
      const entry: ValidatedPipeline = {
        name: definition.name,
        file: definition.file,
        mode: definition.mode,
        ...(definition.shardBy !== undefined ? { shardBy: definition.shardBy } : {}),
        inputs: [],
      };
      const schemaFiles: Record<string, string[]> = {};
      const empty: string[] = [];
      let newest: string | undefined;
      for (const [view, dataset] of Object.entries(def.inputs)) {
        const data = await latestData(dataset.location(config.DAYBREAK_DATA_ROOT));
        entry.inputs.push({
          view,
          dataset: dataset.name,
          partition: data.partition,
          files: data.files.length,
        });
        if (data.files.length === 0) {
          empty.push(`${view} (${dataset.name})`);
          continue;
        }
        if (data.partition && (!newest || data.partition > newest)) newest = data.partition;
        // Only the columns matter: one (the smallest) object of a remote dataset is staged.
        const sample = data.files.some((f) => isGcsUri(f.uri))
          ? [data.files.reduce((a, b) => (b.size < a.size ? b : a))]
          : data.files;
        schemaFiles[view] = await stageAll(
          sample.map((f) => f.uri),
          path.join(scratch, definition.name, view),
        );
      }
      if (empty.length) {
        entry.notBound = `no data yet for ${empty.join(', ')}: the query was not bound`;
        result.pipelines.push(entry);
        continue;
      }
      try {
        entry.columns = await checkQuery({
          definition,
          schemaFiles,
          runDate: newest ?? new Date().toISOString().slice(0, 10),
          lineOf,
        });
        result.pipelines.push(entry);
      } catch (err) {
        if (!(err instanceof PipelineFileError)) throw err;
        result.errors.push(err);
      }
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  result.errors.sort((a, b) => (a.file < b.file ? -1 : 1));
  return result;
}
