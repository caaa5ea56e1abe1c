// identity-join: plan -> the joins (in parallel, each retried on its own) -> publish the manifest.
// When DS2 fits a task (one bucket) each join task hashes DS2 while it builds its join, one task
// per DS1 file group. When it does not, the plan shuffles: maps write DS1 and the hashed DS2 by
// visitor_id bucket (each file read once, a retried map resuming from its heartbeat), then one
// join per bucket. Runs planned before the shuffle keep their path: hash DS2 into buckets, then
// join each (bucket, DS1 group). Thin and deterministic: only paths and counts pass through.
import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type {
  IdentityJoinActivities,
  IdentityJoinMapResult,
  IdentityJoinPlan,
  IdentityJoinReport,
  IdentityJoinResult,
  JoinTask,
  JoinTaskResult,
  ShuffleReport,
} from '../activities/identity-join/index.js';
import type { IdentityJoinParams } from '../pipelines/identity-join.js';
import type { ManifestFile } from '../lib/storage/manifest.js';
import { heartbeatingShortActivity, shardActivity } from './common/activity-options.js';
import { planStep } from './common/plan-step.js';
import { allSettledOrFirstFailure } from './common/settle.js';
import type { PipelineInput } from '../lib/contracts/pipeline-input.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';

const heavy = proxyActivities<IdentityJoinActivities>(shardActivity);
const publishing = proxyActivities<IdentityJoinActivities>(heartbeatingShortActivity);
/** Shuffle tasks carry a summary the Web UI shows on each event ("map DS1: group 1/4 ..."). */
const heavyWith = (summary: string) => proxyActivities<IdentityJoinActivities>({ ...shardActivity, summary });

/**
 * The shuffle: maps of both inputs (in parallel), then one join per bucket (in parallel); each
 * stage settles whole before a failure fails the run.
 */
async function shuffleJoin(
  plan: IdentityJoinPlan & { shuffle: NonNullable<IdentityJoinPlan['shuffle']> },
  params: IdentityJoinParams,
  progress: RunProgress,
): Promise<{ results: JoinTaskResult[]; ds2Rows: number; report: ShuffleReport }> {
  const { ds1, ds2 } = plan.shuffle;
  progress.phase = 'shuffling';
  progress.shardsTotal = ds1.length + ds2.length + plan.buckets;
  const mapStarted = Date.now();
  const maps = (input: 'DS1' | 'DS2', groups: string[][][]) =>
    allSettledOrFirstFailure(
      groups.map(async (batches, group) => {
        const files = batches.reduce((n, b) => n + b.length, 0);
        const task = {
          group,
          groups: groups.length,
          batches,
          buckets: plan.buckets,
          bucketHash: plan.bucketHash,
          workUri: plan.workUri,
        };
        const proxy = heavyWith(
          `map ${input}: group ${group + 1}/${groups.length} (${files} files in ${batches.length} batches) into ${plan.buckets} visitor_id buckets`,
        );
        const result =
          input === 'DS1'
            ? await proxy.mapIdentityJoinDs1({ ...task, columns: params.columns })
            : await proxy.mapIdentityJoinDs2(task);
        progress.shardsDone += 1;
        return result;
      }),
    );
  const [ds1Maps, ds2Maps] = await allSettledOrFirstFailure([maps('DS1', ds1), maps('DS2', ds2)]);
  const mapMs = Date.now() - mapStarted;

  progress.phase = 'joining';
  const reduceStarted = Date.now();
  const results = await allSettledOrFirstFailure(
    Array.from({ length: plan.buckets }, async (_, bucket) => {
      const result = await heavyWith(
        `join: visitor_id bucket ${bucket + 1}/${plan.buckets}`,
      ).joinIdentityBucket({
        bucket,
        buckets: plan.buckets,
        workUri: plan.workUri,
        columns: params.columns,
        targetFileMB: params.targetFileMB,
        output: params.output,
      });
      progress.shardsDone += 1;
      progress.rows += result.rowsOut;
      return result;
    }),
  );
  const all: IdentityJoinMapResult[] = [...ds1Maps, ...ds2Maps];
  const sum = (maps: IdentityJoinMapResult[], key: keyof IdentityJoinMapResult) =>
    maps.reduce((s, m) => s + m[key], 0);
  return {
    results,
    ds2Rows: sum(ds2Maps, 'rows'),
    report: {
      mapTasks: all.length,
      ds1BytesRead: sum(ds1Maps, 'bytesRead'),
      ds2BytesRead: sum(ds2Maps, 'bytesRead'),
      partitionFiles: sum(all, 'partitionFiles'),
      partitionBytes: sum(all, 'partitionBytes'),
      filesResumed: sum(all, 'filesResumed'),
      mapMs,
      reduceMs: Date.now() - reduceStarted,
      mapQueryMs: sum(all, 'queryMs'),
      partitionMoveMs: sum(all, 'writeMs'),
    },
  };
}

export async function identityJoin(input: PipelineInput<IdentityJoinParams>): Promise<IdentityJoinResult> {
  const started = workflowInfo().runStartTime.getTime();
  const { params, runDate } = input;
  const progress: RunProgress = { phase: 'planning', shardsDone: 0, shardsTotal: 0, rows: 0 };
  setHandler(progressQuery, () => progress);

  const plan = await planStep<IdentityJoinActivities>().planIdentityJoin({ runDate, params });
  let ds2Rows = 0;
  const tasks: JoinTask[] = [];
  let results: JoinTaskResult[] = [];
  let shuffle: ShuffleReport | undefined;
  if (plan.shuffle && !plan.emptyPartition) {
    ({
      results,
      ds2Rows,
      report: shuffle,
    } = await shuffleJoin({ ...plan, shuffle: plan.shuffle }, params, progress));
  } else if (!plan.emptyPartition) {
    const joinTask = (bucket: number, ds1Files: string[], ds2Files: string[], ds2Raw?: boolean) => {
      tasks.push({
        task: tasks.length,
        tasks: plan.buckets * plan.ds1Groups.length,
        bucket,
        buckets: plan.buckets,
        bucketHash: plan.bucketHash,
        ds1Files,
        ds2Files,
        ds2Raw,
        columns: params.columns,
        targetFileMB: params.targetFileMB,
        output: params.output,
      });
    };
    if (plan.hashDs2InJoin) {
      // One bucket: each join task hashes the raw DS2 itself (no hashed copy to write and read).
      progress.shardsTotal = plan.ds1Groups.length;
      for (const ds1Files of plan.ds1Groups) joinTask(0, ds1Files, plan.ds2Groups.flat(), true);
    } else {
      progress.phase = 'hashing DS2';
      progress.shardsTotal = plan.ds2Groups.length + plan.buckets * plan.ds1Groups.length;
      const hashed = await Promise.all(
        plan.ds2Groups.map(async (files, group) => {
          const result = await heavy.hashDs2Group({
            group,
            groups: plan.ds2Groups.length,
            files,
            buckets: plan.buckets,
            bucketHash: plan.bucketHash,
            workUri: plan.workUri,
          });
          progress.shardsDone += 1;
          return result;
        }),
      );
      ds2Rows = hashed.reduce((s, h) => s + h.rows, 0);
      for (let bucket = 0; bucket < plan.buckets; bucket++) {
        const ds2Files = hashed.flatMap((h) => h.bucketFiles[bucket] ?? []);
        for (const ds1Files of plan.ds1Groups) joinTask(bucket, ds1Files, ds2Files);
      }
    }
  }

  if (tasks.length > 0) {
    progress.phase = 'joining';
    results = await Promise.all(
      tasks.map(async (task) => {
        const result = await heavy.joinIdentityShard(task);
        progress.shardsDone += 1;
        progress.rows += result.rowsOut;
        return result;
      }),
    );
  }

  // Tasks that hashed the raw DS2 each counted it (the same count).
  ds2Rows = results.find((r) => r.ds2Rows !== undefined)?.ds2Rows ?? ds2Rows;
  progress.phase = 'publishing';
  const files: ManifestFile[] = results.flatMap((r) => r.files);
  const rowsIn = results.reduce((s, r) => s + r.rowsIn, 0);
  const matchedRows = results.reduce((s, r) => s + r.matchedRows, 0);
  const report: IdentityJoinReport = {
    rowsIn,
    rowsOut: results.reduce((s, r) => s + r.rowsOut, 0),
    matchedRows,
    matchRate: rowsIn === 0 ? 0 : matchedRows / rowsIn,
    ds2Rows,
    bytesRead: plan.ds1Bytes + plan.ds2Bytes,
    bytesWritten: results.reduce((s, r) => s + r.bytesWritten, 0),
    shards: plan.buckets,
    tasks: results.length,
    files: files.length,
    emptyPartition: plan.emptyPartition,
    partition: plan.partition,
    durationMs: Date.now() - started,
    ...(shuffle ? { shuffle } : {}),
  };
  await publishing.publishIdentityJoin({ runDate, output: params.output, files, report });
  progress.phase = 'done';
  return { ...report, runDate, output: params.output };
}
