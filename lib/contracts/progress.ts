// The `progress` query every pipeline workflow answers (CLI progress bars, `daybreak status`).
import { defineQuery } from '@temporalio/workflow';

export interface RunProgress {
  phase: string;
  shardsDone: number;
  shardsTotal: number;
  rows: number;
}

export const progressQuery = defineQuery<RunProgress>('progress');
