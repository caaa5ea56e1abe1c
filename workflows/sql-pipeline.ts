// The generic SQL pipeline: one workflow for every `pipelines/*.sql` file. The definition (query,
// inputs, mode, checks, the file's digest) comes in the input, so a new or changed file needs no
// worker rebuild, and the Web UI's Input shows exactly which SQL ran. plan -> query tasks (one, or
// one per group of the first input's files, in parallel) -> checks + publish; mode shuffle puts a
// map stage first (each input's files written once by bucket of shardBy) and runs one query task
// per bucket. Thin and deterministic: only paths and counts pass through.
import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type {
  SqlPipelineActivities,
  SqlPipelinePlan,
  SqlPipelineResult,
  SqlShufflePlan,
  SqlShuffleReport,
  SqlTaskResult,
} from '../activities/sql-pipeline/index.js';
import type { ShuffleMapResult } from '../activities/common/shuffle.js';
import type { SqlPipelineParams } from '../lib/sql-pipelines/params.js';
import { heartbeatingShortActivity, shardActivity } from './common/activity-options.js';
import { planStep } from './common/plan-step.js';
import { allSettledOrFirstFailure } from './common/settle.js';
import type { PipelineInput } from '../lib/contracts/pipeline-input.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';

const heavy = (summary: string) => proxyActivities<SqlPipelineActivities>({ ...shardActivity, summary });
const publishing = (summary: string) =>
  proxyActivities<SqlPipelineActivities>({ ...heartbeatingShortActivity, summary });

/** mode shuffle's map stage: every map group of every input, in parallel, settled whole. */
async function shuffleMaps(
  def: SqlPipelineParams['definition'],
  shuffle: SqlShufflePlan,
  progress: RunProgress,
): Promise<ShuffleMapResult[]> {
  progress.phase = 'shuffling';
  return allSettledOrFirstFailure(
    Object.entries(shuffle.maps).flatMap(([input, groups]) =>
      groups.map(async (batches, group) => {
        const files = batches.reduce((n, b) => n + b.length, 0);
        const result = await heavy(
          `map ${input}: group ${group + 1}/${groups.length} (${files} files) into ${shuffle.buckets} ${shuffle.shardBy} buckets`,
        ).mapSqlPipelineInput({
          file: def.file,
          input,
          shardBy: shuffle.shardBy,
          group,
          groups: groups.length,
          batches,
          buckets: shuffle.buckets,
          bucketHash: shuffle.bucketHash,
          workUri: shuffle.workUri,
        });
        progress.shardsDone += 1;
        return result;
      }),
    ),
  );
}

function shuffleReport(
  shuffle: SqlShufflePlan,
  maps: ShuffleMapResult[],
  mapMs: number,
  reduceMs: number,
): SqlShuffleReport {
  const sum = (key: keyof ShuffleMapResult) => maps.reduce((s, m) => s + m[key], 0);
  return {
    shardBy: shuffle.shardBy,
    buckets: shuffle.buckets,
    reason: shuffle.reason,
    mapTasks: maps.length,
    inputBytesRead: sum('bytesRead'),
    partitionFiles: sum('partitionFiles'),
    partitionBytes: sum('partitionBytes'),
    filesResumed: sum('filesResumed'),
    mapMs,
    reduceMs,
  };
}

const mapTaskCount = (plan: SqlPipelinePlan) =>
  Object.values(plan.shuffle?.maps ?? {}).reduce((n, groups) => n + groups.length, 0);

export async function sqlPipeline(input: PipelineInput<SqlPipelineParams>): Promise<SqlPipelineResult> {
  const started = workflowInfo().runStartTime.getTime();
  const { params, runDate } = input;
  const def = params.definition;
  const progress: RunProgress = { phase: 'planning', shardsDone: 0, shardsTotal: 0, rows: 0 };
  setHandler(progressQuery, () => progress);

  const plan = await planStep<SqlPipelineActivities>(
    `plan: ${def.file} (mode ${def.mode}) over ${Object.keys(params.inputs).join(', ')}`,
  ).planSqlPipeline({
    runDate,
    params,
  });
  const firstInput = Object.keys(params.inputs)[0]!;
  const shuffled = plan.shuffle && plan.shuffle.buckets > 1 ? plan.shuffle : undefined;
  progress.shardsTotal = mapTaskCount(plan) + plan.tasks.length;
  const mapStarted = Date.now();
  const maps = shuffled ? await shuffleMaps(def, shuffled, progress) : [];
  const reduceStarted = Date.now();
  progress.phase = 'running the query';
  const queryTask = async (task: SqlPipelinePlan['tasks'][number]): Promise<SqlTaskResult> => {
    const files = task.views[firstInput]?.length ?? 0;
    const result = await heavy(
      task.shuffled
        ? `query: ${def.file}, ${shuffled!.shardBy} bucket ${task.task + 1}/${task.tasks}`
        : plan.tasks.length === 1
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
  };
  // A shuffle's reduce tasks settle whole before a failure fails the run (like its maps).
  const results = shuffled
    ? await allSettledOrFirstFailure(plan.tasks.map(queryTask))
    : await Promise.all(plan.tasks.map(queryTask));
  const shuffle = shuffled
    ? shuffleReport(shuffled, maps, reduceStarted - mapStarted, Date.now() - reduceStarted)
    : undefined;

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
      bytesRead: results.reduce((s, r) => s + r.bytesRead, 0) + (shuffle?.inputBytesRead ?? 0),
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
      ...(shuffle ? { shuffle } : {}),
    },
  });
  progress.phase = 'done';
  return { ...report, output: params.output, columns: plan.columns, durationMs: Date.now() - started };
}
