// Loads SQL pipelines from a folder (`DAYBREAK_PIPELINES_DIR`, default `pipelines/`): each `*.sql`
// file is the pipeline named after it. Read client-side (CLI, schedules apply); the definition then
// travels in the run's input, so workers never read these files.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SqlPipelineDefinition } from './definition.js';
import { PipelineFileError } from './errors.js';
import { parseSqlPipeline, type ParsedSqlFile } from './header.js';

export const PIPELINE_NAME = /^[a-z][a-z0-9-]*$/;

export interface LoadedSqlPipeline {
  definition: SqlPipelineDefinition;
  /** Header key -> file line, for problems found later (binding, unknown inputs). */
  lineOf: ParsedSqlFile['lineOf'];
}

/** How a file is named in messages: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Parses one file's text into a definition; throws a PipelineFileError. */
export function definitionFromText(file: string, text: string): LoadedSqlPipeline {
  const name = path.basename(file, '.sql');
  const shown = displayPath(file);
  if (!PIPELINE_NAME.test(name)) {
    throw new PipelineFileError(shown, [
      {
        line: 1,
        message: `the file name gives the pipeline's name, which must be kebab-case (a-z, 0-9, -); got ${name}`,
      },
    ]);
  }
  const parsed = parseSqlPipeline(shown, text);
  const { header } = parsed;
  return {
    definition: {
      name,
      file: shown,
      digest: createHash('sha256').update(text).digest('hex'),
      description: header.description,
      owner: header.owner,
      inputs: header.inputs,
      mode: header.mode,
      ...(header.shardBy !== undefined ? { shardBy: header.shardBy } : {}),
      checks: header.checks,
      pii: header.pii,
      sql: parsed.sql,
      sqlLine: parsed.sqlLine,
    },
    lineOf: parsed.lineOf,
  };
}

export interface LoadResult {
  pipelines: LoadedSqlPipeline[];
  /** Files that failed to parse; the others still load. */
  errors: PipelineFileError[];
}

/** Every `*.sql` file of `dir`, sorted by name; a missing folder holds none. */
export async function loadSqlPipelines(dir: string): Promise<LoadResult> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { pipelines: [], errors: [] };
    throw err;
  }
  const result: LoadResult = { pipelines: [], errors: [] };
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      result.pipelines.push(definitionFromText(file, await fs.readFile(file, 'utf8')));
    } catch (err) {
      if (!(err instanceof PipelineFileError)) throw err;
      result.errors.push(err);
    }
  }
  return result;
}
