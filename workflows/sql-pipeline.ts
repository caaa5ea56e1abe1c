// The generic SQL pipeline: one workflow for every `pipelines/*.sql` file. The definition (query,
// inputs, mode, checks, the file's digest) comes in the input, so a new or changed file needs no
// worker rebuild, and the Web UI's Input shows exactly which SQL ran. plan -> query tasks (one, or
// one per group of the first input's files, in parallel) -> checks + publish. Thin and
// deterministic: only paths and counts pass through.
import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { SqlPipelineActivities, SqlPipelineResult } from '../activities/sql-pipeline/index.js';
import type { SqlPipelineParams } from '../lib/sql-pipelines/params.js';
import { publishActivity, shardActivity, shortActivity } from './common/activity-options.js';
import type { PipelineInput } from '../lib/contracts/pipeline-input.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';

const quick = (summary: string) => proxyActivities<SqlPipelineActivities>({ ...shortActivity, summary });
const heavy = (summary: string) => proxyActivities<SqlPipelineActivities>({ ...shardActivity, summary });
const publishing = (summary: string) =>
  proxyActivities<SqlPipelineActivities>({ ...publishActivity, summary });

export async function sqlPipeline(input: PipelineInput<SqlPipelineParams>): Promise<SqlPipelineResult> {
  const started = workflowInfo().runStartTime.getTime();
  const { params, runDate } = input;
  const def = params.definition;
  const progress: RunProgress = { phase: 'planning', shardsDone: 0, shardsTotal: 0, rows: 0 };
  setHandler(progressQuery, () => progress);

  const plan = await quick(
    `plan: ${def.file} (mode ${def.mode}) over ${Object.keys(params.inputs).join(', ')}`,
  ).planSqlPipeline({
    runDate,
    params,
  });
  const firstInput = Object.keys(params.inputs)[0]!;
  progress.phase = 'running the query';
  progress.shardsTotal = plan.tasks.length;
  const results = await Promise.all(
    plan.tasks.map(async (task) => {
      const files = task.views[firstInput]?.length ?? 0;
      const result = await heavy(
        plan.tasks.length === 1
          ? `query: ${def.file} over ${files} file(s) of ${firstInput}`
          : `query: ${def.file}, file group ${task.task + 1}/${task.tasks} (${files} files of ${firstInput})`,
      ).runSqlPipelineTask({
        runDate,
        definition: { name: def.name, file: def.file, sql: def.sql },
        firstInput,
        task,
        output: params.output,
        targetFileMB: params.targetFileMB,
      });
      progress.shardsDone += 1;
      progress.rows += result.inputRows;
      return result;
    }),
  );

  progress.phase = 'checking and publishing';
  const files = results.flatMap((r) => r.files);
  const report = await publishing(
    `publish: data-quality checks, then ${params.output}/_SUCCESS`,
  ).publishSqlPipeline({
    runDate,
    definition: { name: def.name, file: def.file, checks: def.checks, pii: def.pii },
    output: params.output,
    columns: plan.columns,
    files,
    report: {
      pipeline: def.name,
      file: def.file,
      digest: def.digest,
      mode: def.mode,
      tasks: plan.tasks.length,
      inputRows: results.reduce((s, r) => s + r.inputRows, 0),
      rowsOut: files.reduce((s, f) => s + f.rows, 0),
      files: files.length,
      bytesRead: results.reduce((s, r) => s + r.bytesRead, 0),
      bytesWritten: results.reduce((s, r) => s + r.bytesWritten, 0),
      inputs: Object.fromEntries(
        Object.entries(plan.inputs).map(([name, i]) => [
          name,
          {
            dataset: i.dataset,
            uri: i.uri,
            bytes: i.bytes,
            partition: i.partition,
            manifestCreatedAt: i.manifestCreatedAt,
            files: i.files.length,
          },
        ]),
      ),
    },
  });
  progress.phase = 'done';
  return { ...report, output: params.output, columns: plan.columns, durationMs: Date.now() - started };
}
