// Activities of the generic SQL pipeline, the same for every `pipelines/*.sql` file (the definition
// comes in the input): plan (find the inputs' files for the date, bind the query against them,
// split into tasks by mode), run one query task in the sandbox (its result written straight to
// output files), and publish (data-quality checks on the staged output, then the manifest).
import fs from 'node:fs/promises';
import path from 'node:path';
import { parquetRowsPerFile, sqlIdent } from '../../lib/duckdb.js';
import { badInput, sandboxViolation } from '../../lib/errors.js';
import { registerPipelineLabels } from '../../lib/metrics.js';
import { qualityFailure, runChecks } from '../../lib/quality/engine.js';
import type { SqlPipelineDefinition } from '../../lib/sql-pipelines/definition.js';
import { PipelineFileError } from '../../lib/sql-pipelines/errors.js';
import type { SqlPipelineParams } from '../../lib/sql-pipelines/params.js';
import { checkQuery } from '../../lib/sql-pipelines/query-check.js';
import type { OutputColumn } from '../../lib/sql-pipelines/bind.js';
import { enterSandbox, refusalsAsViolations, sandboxRefusal } from '../../lib/sql-pipelines/sandbox.js';
import { isGcsUri, joinUri } from '../../lib/storage/index.js';
import type { ManifestFile } from '../../lib/storage/manifest.js';
import { commitOutput, openRunOutput, putOutputFile } from '../common/output.js';
import { duckdbOptions, type ActivityDeps } from '../common/deps.js';
import { withScratch } from '../common/scratch.js';
import { configTaskMemory } from '../common/memory.js';
import { listBucketPartitions, reduceRowGroupBytes, type ShuffleMapResult } from '../common/shuffle.js';
import { withDuckDBTask, withQueryProgress } from '../common/task.js';
import { runWorkUri } from '../common/work.js';
import { stageAll } from '../common/staging.js';
import { planInput } from './inputs.js';
import { PLANNERS } from './modes.js';
import { planSqlShuffle, runSqlShuffleMap, type SqlShuffleMapTask } from './shuffle.js';
import { shufflePlanHash } from '../common/shuffle.js';
import { previousPublished } from '../common/previous-output.js';
import { writeResultSql } from './sql.js';
import type { PlannedInput, SqlPipelinePlan, SqlPipelineReport, SqlTask, SqlTaskResult } from './types.js';

export * from './types.js';

/**
 * part-<task>-<n>.parquet; the publish protocol adds the run's tag (a retried task overwrites its
 * own files, and a new run never touches the files the published manifest lists).
 */
export function outputFileName(task: number, n: number): string {
  return `part-${String(task).padStart(5, '0')}-${String(n).padStart(5, '0')}.parquet`;
}

/** DuckDB errors that the same query on the same data would raise again: no retry helps. */
const DETERMINISTIC =
  /^(Conversion|Invalid Input|Binder|Catalog|Parser|Out of Range|Constraint|Not implemented|Invalid type) Error/;

/** A failure of the user's query as one clear error: refused access, bad data, or (else) retried. */
function queryFailure(def: Pick<SqlPipelineDefinition, 'file'>, runDate: string, err: unknown): unknown {
  const refused = sandboxRefusal(err);
  if (refused !== undefined) {
    return sandboxViolation(
      `${def.file}: the query may read only its declared inputs and write nothing; refused: ${refused}`,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  if (DETERMINISTIC.test(message)) {
    return badInput(`${def.file}: the query failed on the inputs of ${runDate}: ${message.split('\n')[0]}`);
  }
  return err;
}

/** A definition problem found on the worker (the client checks first): bad input, or a refusal. */
function definitionFailure(err: PipelineFileError): unknown {
  const refused = err.problems.find((p) => p.refused !== undefined)?.refused;
  if (refused !== undefined) {
    return sandboxViolation(
      `${err.file}: the query may read only its declared inputs and write nothing; refused: ${refused}`,
    );
  }
  return badInput(err.message);
}

async function listParquet(dir: string): Promise<string[]> {
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.parquet'));
  // DuckDB numbers files part-0, part-1, ... in write order; keep that order.
  return names
    .sort((a, b) => Number(/(\d+)/.exec(a)![1]) - Number(/(\d+)/.exec(b)![1]))
    .map((n) => path.join(dir, n));
}

/** Local files standing for each input's columns: all local files, or the smallest staged one. */
async function schemaSample(
  inputs: Record<string, PlannedInput>,
  scratch: string,
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [name, input] of Object.entries(inputs)) {
    const files = input.files.length
      ? input.files
      : (input.schemaFiles ?? []).map((uri) => ({ uri, size: 0 }));
    const remote = files.some((f) => isGcsUri(f.uri));
    const chosen = remote ? [files.reduce((a, b) => (b.size < a.size ? b : a))] : files;
    out[name] = await stageAll(
      chosen.map((f) => f.uri),
      path.join(scratch, name),
    );
  }
  return out;
}

/**
 * A shuffle's reduce task as a query task: each input's view reads this bucket's partitions (the
 * map stage wrote them); an input without any keeps its schema file and is an empty view.
 */
async function bucketTask(task: SqlTask, shuffled: NonNullable<SqlTask['shuffled']>): Promise<SqlTask> {
  const views: Record<string, string[]> = {};
  const emptyViews: Record<string, string[]> = {};
  for (const [name, schema] of Object.entries(task.emptyViews)) {
    const parts = await listBucketPartitions(shuffled.workUri, name, shuffled.bucket);
    if (parts.length) views[name] = parts;
    else emptyViews[name] = schema;
  }
  return { ...task, views, emptyViews };
}

export function createSqlPipelineActivities({ config }: ActivityDeps) {
  /** Threads per task: the worker's DuckDB threads shared by the tasks that run side by side. */
  const threadsFor = (siblings: number) =>
    Math.max(
      1,
      Math.floor(
        config.DAYBREAK_DUCKDB_THREADS /
          Math.max(1, Math.min(siblings, config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES)),
      ),
    );

  return {
    async planSqlPipeline(input: { runDate: string; params: SqlPipelineParams }): Promise<SqlPipelinePlan> {
      const { params, runDate } = input;
      const def = params.definition;
      // A file newer than this worker: its name becomes a metric label from now on (file names are
      // kebab-case and few, so the label set stays small).
      registerPipelineLabels([def.name]);
      const inputs: Record<string, PlannedInput> = {};
      for (const [name, loc] of Object.entries(params.inputs))
        inputs[name] = await planInput(name, loc, runDate);
      const columns = await withScratch(config, `sql-plan-${def.name}`, async (scratch) => {
        try {
          return await checkQuery({
            definition: def,
            schemaFiles: await schemaSample(inputs, scratch),
            runDate,
          });
        } catch (err) {
          throw err instanceof PipelineFileError ? definitionFailure(err) : err;
        }
      });
      // The output is opened (locked for this run) before any work; the published output stays as
      // it is until publish commits: new files get run-scoped names, a failed check leaves it readable.
      await openRunOutput(
        config,
        params.output,
        Object.values(inputs).map((i) => i.uri),
      );
      const groupBytes = params.groupMB * 1024 * 1024;
      const shuffle =
        def.mode === 'shuffle'
          ? planSqlShuffle({
              config,
              shardBy: def.shardBy!,
              inputs,
              groupBytes,
              buckets: params.buckets,
              workUri: runWorkUri(params.output),
              bucketHash: await shufflePlanHash(),
            })
          : undefined;
      const tasks = PLANNERS[def.mode](inputs, { groupBytes, shuffle });
      return {
        mode: def.mode,
        inputs,
        tasks,
        columns,
        inputBytes: Object.values(inputs).reduce((s, i) => s + i.bytes, 0),
        ...(shuffle ? { shuffle } : {}),
      };
    },

    /** mode shuffle: writes one group of an input's files by the bucket of shardBy (resumable). */
    async mapSqlPipelineInput(input: SqlShuffleMapTask): Promise<ShuffleMapResult> {
      return runSqlShuffleMap(config, input);
    },

    /** Runs the query over one task's files in the sandbox and puts its files into the output. */
    async runSqlPipelineTask(input: {
      runDate: string;
      definition: Pick<SqlPipelineDefinition, 'name' | 'file' | 'sql'>;
      firstInput: string;
      task: SqlTask;
      output: string;
      targetFileMB: number;
    }): Promise<SqlTaskResult> {
      const { definition: def } = input;
      const task = input.task.shuffled ? await bucketTask(input.task, input.task.shuffled) : input.task;
      const where = `${task.task + 1}/${task.tasks}`;
      const nothing = { task: task.task, files: [], inputRows: 0, rows: 0, bytesRead: 0, bytesWritten: 0 };
      if (task.shuffled && Object.keys(task.views).length === 0) return nothing; // no input row in this bucket
      const step = { task: where, step: 'staging the inputs' };
      return withDuckDBTask(
        config,
        {
          label: `sql-${def.name}-${task.task}`,
          duckdb: { ...duckdbOptions(config), threads: threadsFor(task.tasks) },
          heartbeat: step,
        },
        (duckdb) =>
          withQueryProgress(duckdb, step, async (beat) => {
            const { scratch, conn } = duckdb;
            const stage = async (views: Record<string, string[]>, dir: string) =>
              Object.fromEntries(
                await Promise.all(
                  Object.entries(views).map(async ([name, uris]) => [
                    name,
                    await stageAll(uris, path.join(scratch, dir, name)),
                  ]),
                ),
              ) as Record<string, string[]>;
            const views = await stage(task.views, 'in');
            const emptyTables = await stage(task.emptyViews, 'schema');
            const outDir = path.join(scratch, 'out');
            beat({ step: 'running the query' });
            await refusalsAsViolations(def.file, () =>
              enterSandbox(conn, { views, emptyTables, writeDir: outDir, runDate: input.runDate }),
            );
            try {
              await conn.run(
                writeResultSql({
                  sql: def.sql,
                  outDir,
                  targetFileMB: input.targetFileMB,
                  rowGroupBytes: task.shuffled ? reduceRowGroupBytes(configTaskMemory(config)) : undefined,
                }),
              );
            } catch (err) {
              throw queryFailure(def, input.runDate, err);
            }
            beat({ step: 'publishing files' });
            const written = await listParquet(outDir);
            const rows = await parquetRowsPerFile(conn, written);
            const firstFiles = views[input.firstInput] ?? [];
            const inputRows = [...(await parquetRowsPerFile(conn, firstFiles)).values()].reduce(
              (s, n) => s + n,
              0,
            );
            // An empty result writes one empty file: not worth publishing. The rest are put side
            // by side (their checksums are taken on the SHA-256 threads, lib/storage/sha256.ts).
            const nonEmpty = written.filter((local) => (rows.get(local) ?? 0) > 0);
            const files: ManifestFile[] = await Promise.all(
              nonEmpty.map((local, n) =>
                putOutputFile(input.output, local, outputFileName(task.task, n), rows.get(local)!),
              ),
            );
            const read = await Promise.all(
              Object.values(views)
                .flat()
                .map(async (f) => (await fs.stat(f)).size),
            );
            return {
              task: task.task,
              files,
              inputRows,
              rows: files.reduce((s, f) => s + f.rows, 0),
              bytesRead: read.reduce((s, n) => s + n, 0),
              bytesWritten: files.reduce((s, f) => s + f.bytes, 0),
            };
          }),
      );
    },

    /** Checks the staged output; only when every check passes is the manifest written. */
    async publishSqlPipeline(input: {
      runDate: string;
      definition: Pick<SqlPipelineDefinition, 'name' | 'file' | 'checks' | 'pii'>;
      output: string;
      columns: OutputColumn[];
      files: ManifestFile[];
      report: Omit<SqlPipelineReport, 'checks'>;
    }): Promise<SqlPipelineReport> {
      const def = input.definition;
      const rows = input.files.reduce((s, f) => s + f.rows, 0);
      const checks = def.checks ?? {};
      const results = await withDuckDBTask(
        config,
        { label: `sql-checks-${def.name}`, heartbeat: { step: 'staging the output' } },
        async ({ scratch, conn, heartbeat: hb }) => {
          const uris = input.files.map((f) => joinUri(input.output, f.name));
          const locals = await stageAll(uris, scratch);
          const previous = await previousPublished(input.output, input.runDate);
          hb.beat({ step: 'data-quality checks' });
          await enterSandbox(conn, { views: locals.length ? { output: locals } : {} });
          if (!locals.length) {
            await conn.run(
              `CREATE TEMP TABLE output (${input.columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ')})`,
            );
          }
          try {
            return await runChecks({ conn, checks, rows, previous, pii: def.pii });
          } catch (err) {
            throw queryFailure(def, input.runDate, err);
          }
        },
      );
      const failure = qualityFailure(`${def.name} ${input.runDate}`, results);
      if (failure) throw failure;
      const report: SqlPipelineReport = { ...input.report, checks: results };
      await commitOutput(
        config,
        input.output,
        { pipeline: def.name, runDate: input.runDate, report: { ...report } },
        input.files,
      );
      return report;
    },
  };
}

export type SqlPipelineActivities = ReturnType<typeof createSqlPipelineActivities>;
