// session-ranking: plan -> map (file groups, in parallel) -> reduce (id buckets, in parallel) ->
// publish. Thin and deterministic: all data work happens in activities, only paths pass through.
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { SessionRankingActivities, SessionRankingResult } from '../activities/session-ranking/index.js';
import type { SessionRankingParams } from '../lib/pipelines/session-ranking.js';
import { shardActivity, shortActivity } from './common/activity-options.js';
import { progressQuery } from './common/progress.js';
import type { PipelineInput, RunProgress } from './common/types.js';

/** Activities with a summary the Web UI shows on each event ("map files 3/8", "rank bucket 2/4"). */
const quick = (summary: string) => proxyActivities<SessionRankingActivities>({ ...shortActivity, summary });
const heavy = (summary: string) => proxyActivities<SessionRankingActivities>({ ...shardActivity, summary });

export async function sessionRanking(
  input: PipelineInput<SessionRankingParams>,
): Promise<SessionRankingResult> {
  const started = Date.now();
  const { params } = input;
  const progress: RunProgress = { phase: 'planning', shardsDone: 0, shardsTotal: 0, rows: 0 };
  setHandler(progressQuery, () => progress);

  const plan = await quick(`plan: list ${params.activity}`).planSessionRanking(params);
  progress.phase = 'aggregating sessions';
  progress.shardsTotal = plan.mapGroups.length + plan.buckets;

  const maps = await Promise.all(
    plan.mapGroups.map(async (files, group) => {
      const result = await heavy(
        `map: file group ${group + 1}/${plan.mapGroups.length} (${files.length} files) into ${plan.buckets} id buckets`,
      ).mapSessionFiles({
        group,
        files,
        profileFiles: plan.profileFiles,
        buckets: plan.buckets,
        year: params.year,
        workUri: plan.workUri,
      });
      progress.shardsDone += 1;
      progress.rows += result.inputRows;
      return result;
    }),
  );
  const inputRows = maps.reduce((s, m) => s + m.inputRows, 0);
  const rejectedRows = maps.reduce((s, m) => s + m.rejectedRows, 0);
  const dataYears = maps.flatMap((m) => (m.maxYear === undefined ? [] : [m.maxYear]));
  const year = params.year ?? (dataYears.length ? Math.max(...dataYears) : Number(input.runDate.slice(0, 4)));
  const partials = maps.flatMap((m) => m.partials);

  progress.phase = 'ranking buckets';
  const bucketFiles = await Promise.all(
    Array.from({ length: plan.buckets }, async (_, bucket) => {
      const file = await heavy(
        `reduce: rank id bucket ${bucket + 1}/${plan.buckets}, top ${params.top} per month`,
      ).reduceSessionBucket({
        bucket,
        partials,
        year,
        top: params.top,
        workUri: plan.workUri,
      });
      progress.shardsDone += 1;
      return file;
    }),
  );

  progress.phase = 'publishing';
  const report = { inputRows, rejectedRows, year, shards: plan.buckets, inputBytes: plan.inputBytes };
  const ranking = await quick(
    `publish: ranking.json + ranking.parquet to ${params.output}`,
  ).publishSessionRanking({
    runDate: input.runDate,
    output: params.output,
    bucketFiles,
    year,
    top: params.top,
    report,
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
