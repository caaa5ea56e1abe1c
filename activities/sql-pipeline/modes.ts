// How each execution mode splits a SQL pipeline into query tasks. A mode is a planner: `single`
// runs the query once over everything; `map` once per ~groupMB of the first input's files, every
// other input whole (the query check proved each output row comes from one row of the first
// input). A new mode (e.g. a shuffle by a key) adds a planner here and its stage in the workflow.
import type { SqlMode } from '../../lib/sql-pipelines/header.js';
import { groupByTarget } from '../common/grouping.js';
import type { PlannedInput, SqlTask } from './types.js';

export type TaskPlanner = (inputs: Record<string, PlannedInput>, opts: { groupBytes: number }) => SqlTask[];

function views(inputs: Record<string, PlannedInput>, first?: { name: string; files: string[] }) {
  const files: Record<string, string[]> = {};
  const empty: Record<string, string[]> = {};
  for (const [name, input] of Object.entries(inputs)) {
    const own = first && name === first.name ? first.files : input.files.map((f) => f.uri);
    if (own.length) files[name] = own;
    else empty[name] = input.schemaFiles ?? [];
  }
  return { views: files, emptyViews: empty };
}

export const PLANNERS: Record<SqlMode, TaskPlanner> = {
  single: (inputs) => [{ task: 0, tasks: 1, ...views(inputs) }],
  map: (inputs, { groupBytes }) => {
    const [name, first] = Object.entries(inputs)[0]!;
    const groups = first.files.length ? groupByTarget(first.files, groupBytes) : [[]];
    return groups.map((files, task) => ({ task, tasks: groups.length, ...views(inputs, { name, files }) }));
  },
};
