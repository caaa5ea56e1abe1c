// identity-join: plan -> hash DS2 into visitor_id buckets (in parallel) -> join each
// (bucket, DS1 group) task (in parallel, each retried on its own) -> publish the manifest. With
// one bucket there is no hash step: each join task hashes DS2 while it builds its join.
// Thin and deterministic: only paths and counts pass through the workflow, never rows.
import { proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type {
  IdentityJoinActivities,
  IdentityJoinReport,
  IdentityJoinResult,
  JoinTask,
} from '../activities/identity-join/index.js';
import type { IdentityJoinParams } from '../pipelines/identity-join.js';
import type { ManifestFile } from '../lib/storage/manifest.js';
import { shardActivity, shortActivity } from './common/activity-options.js';
import type { PipelineInput } from '../lib/contracts/pipeline-input.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';

const quick = proxyActivities<IdentityJoinActivities>(shortActivity);
const heavy = proxyActivities<IdentityJoinActivities>(shardActivity);

export async function identityJoin(input: PipelineInput<IdentityJoinParams>): Promise<IdentityJoinResult> {
  const started = workflowInfo().runStartTime.getTime();
  const { params, runDate } = input;
  const progress: RunProgress = { phase: 'planning', shardsDone: 0, shardsTotal: 0, rows: 0 };
  setHandler(progressQuery, () => progress);

  const plan = await quick.planIdentityJoin({ runDate, params });
  let ds2Rows = 0;
  const tasks: JoinTask[] = [];
  if (!plan.emptyPartition) {
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

  progress.phase = 'joining';
  const results = await Promise.all(
    tasks.map(async (task) => {
      const result = await heavy.joinIdentityShard(task);
      progress.shardsDone += 1;
      progress.rows += result.rowsOut;
      return result;
    }),
  );

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
    tasks: tasks.length,
    files: files.length,
    emptyPartition: plan.emptyPartition,
    partition: plan.partition,
    durationMs: Date.now() - started,
  };
  await quick.publishIdentityJoin({ runDate, output: params.output, files, report });
  progress.phase = 'done';
  return { ...report, runDate, output: params.output };
}
