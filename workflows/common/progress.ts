// The `progress` query every pipeline workflow answers (CLI progress bar, `daybreak status`).
import { defineQuery } from '@temporalio/workflow';
import type { RunProgress } from './types.js';

export const progressQuery = defineQuery<RunProgress>('progress');
