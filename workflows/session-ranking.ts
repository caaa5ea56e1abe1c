// session-ranking: plan -> map (file groups, in parallel) -> reduce (id buckets, in parallel) ->
// publish; a small input (the plan says) is one rank-and-publish task instead. Thin and
// deterministic: all data work happens in activities, only paths pass through.
import { patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type {
  MapExperts,
  SessionRankingActivities,
  SessionRankingPlan,
  SessionRankingReport,
  SessionRankingResult,
} from '../activities/session-ranking/index.js';
import { rankingYear } from '../lib/contracts/ranking-year.js';
import type { SessionRankingParams } from '../pipelines/session-ranking.js';
import { heartbeatingShortActivity, shardActivity } from './common/activity-options.js';
import { planStep } from './common/plan-step.js';
import type { PipelineInput } from '../lib/contracts/pipeline-input.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';

/** Activities with a summary the Web UI shows on each event ("map: file group 1/2", "reduce: ..."). */
const heavy = (summary: string) => proxyActivities<SessionRankingActivities>({ ...shardActivity, summary });
const publishing = (summary: string) =>
  proxyActivities<SessionRankingActivities>({ ...heartbeatingShortActivity, summary });

export async function sessionRanking(
  input: PipelineInput<SessionRankingParams>,
): Promise<SessionRankingResult> {
  const started = Date.now();
  const { params } = input;
  const progress: RunProgress = { phase: 'planning', shardsDone: 0, shardsTotal: 0, rows: 0 };
  setHandler(progressQuery, () => progress);

  const plan = await planStep<SessionRankingActivities>(`plan: list ${params.activity}`).planSessionRanking(
    params,
  );
  if (plan.singleTask) return singleTask(input, plan, started, progress);
  progress.shardsTotal = plan.mapGroups.length + plan.buckets;
  let experts: MapExperts = { profileFiles: plan.profileFiles, buckets: plan.buckets };
  // Each map reads the profile itself unless the plan chose an experts step (a large profile).
  // Runs started before maps could read the profile always had the step: the patch keeps their
  // replay deterministic. Deprecate it once no such run is open.
  const expertsStep = !patched('session-ranking-maps-read-profile') || plan.expertsStep === true;
  if (expertsStep) {
    progress.phase = 'finding experts';
    experts = await heavy(
      `experts: expert ids of ${plan.profileFiles.length} profile file(s) into ${plan.buckets} id buckets`,
    ).extractSessionExperts({
      profileFiles: plan.profileFiles,
      buckets: plan.buckets,
      workUri: plan.workUri,
    });
  }

  progress.phase = 'aggregating sessions';
  const maps = await Promise.all(
    plan.mapGroups.map(async (batches, group) => {
      const files = batches.reduce((n, b) => n + b.length, 0);
      const result = await heavy(
        `map: file group ${group + 1}/${plan.mapGroups.length} (${files} files in ${batches.length} batches) into ${plan.buckets} id buckets`,
      ).mapSessionFiles({
        group,
        batches,
        experts,
        partitioned: plan.partitioned,
        year: params.year,
        workUri: plan.workUri,
        siblings: plan.mapGroups.length,
      });
      progress.shardsDone += 1;
      progress.rows += result.inputRows;
      return result;
    }),
  );
  const inputRows = maps.reduce((s, m) => s + m.inputRows, 0);
  const rejectedRows = maps.reduce((s, m) => s + m.rejectedRows, 0);
  const dataYears = maps.flatMap((m) => (m.maxYear === undefined ? [] : [m.maxYear]));
  const year = rankingYear(params.year, dataYears, input.runDate);

  progress.phase = 'ranking buckets';
  const bucketFiles = await Promise.all(
    Array.from({ length: plan.buckets }, async (_, bucket) => {
      const file = await heavy(
        `reduce: rank id bucket ${bucket + 1}/${plan.buckets}, top ${params.top} per month`,
      ).reduceSessionBucket({
        bucket,
        partitioned: plan.partitioned,
        year,
        mapsFilteredYear: params.year !== undefined,
        top: params.top,
        workUri: plan.workUri,
        siblings: plan.buckets,
      });
      progress.shardsDone += 1;
      return file;
    }),
  );

  progress.phase = 'publishing';
  const report: SessionRankingReport = {
    inputRows,
    rejectedRows,
    year,
    shards: plan.buckets,
    mapTasks: plan.mapGroups.length,
    inputBytes: plan.inputBytes,
    filesResumed: maps.reduce((s, m) => s + m.filesResumed, 0),
    expertsStep,
  };
  const ranking = await publishing(
    `publish: ranking.json + ranking.parquet to ${params.output}`,
  ).publishSessionRanking({
    runDate: input.runDate,
    output: params.output,
    bucketFiles: bucketFiles.filter((f): f is string => f !== undefined),
    year,
    top: params.top,
    report: { ...report },
  });
  progress.phase = 'done';
  return {
    ranking,
    year,
    inputRows,
    rejectedRows,
    output: params.output,
    shards: plan.buckets,
    durationMs: Date.now() - started,
  };
}

/**
 * A small input's run: one task ranks and publishes (the branch follows the plan's recorded
 * result, so a replay takes the same one; runs planned before it existed have no `singleTask`).
 */
async function singleTask(
  input: PipelineInput<SessionRankingParams>,
  plan: SessionRankingPlan,
  started: number,
  progress: RunProgress,
): Promise<SessionRankingResult> {
  const { params } = input;
  const files = plan.mapGroups.flat(2);
  progress.phase = 'ranking and publishing';
  progress.shardsTotal = 1;
  const result = await heavy(
    `rank and publish: ${files.length} activity file(s), top ${params.top} per month, to ${params.output}`,
  ).rankAndPublishSessions({
    runDate: input.runDate,
    output: params.output,
    files,
    profileFiles: plan.profileFiles,
    year: params.year,
    top: params.top,
    report: {
      shards: 1,
      mapTasks: 1,
      inputBytes: plan.inputBytes,
      filesResumed: 0,
      expertsStep: false,
      singleTask: true,
    } satisfies Omit<SessionRankingReport, 'inputRows' | 'rejectedRows' | 'year'>,
  });
  progress.shardsDone = 1;
  progress.rows = result.inputRows;
  progress.phase = 'done';
  return {
    ranking: result.ranking,
    year: result.year,
    inputRows: result.inputRows,
    rejectedRows: result.rejectedRows,
    output: params.output,
    shards: 1,
    durationMs: Date.now() - started,
  };
}
