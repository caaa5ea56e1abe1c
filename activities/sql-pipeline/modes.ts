// How each execution mode splits a SQL pipeline into query tasks. A mode is a planner: `single`
// runs the query once over everything; `map` once per ~groupMB of the first input's files, every
// other input whole (the query check proved each output row comes from one row of the first
// input); `shuffle` once per bucket of shardBy, over that bucket's partitions of every input, after
// the map stage wrote them (shuffle.ts), or once over everything when one bucket suffices.
import type { SqlMode } from '../../lib/sql-pipelines/header.js';
import { groupByTarget } from '../common/grouping.js';
import type { PlannedInput, SqlShufflePlan, SqlTask } from './types.js';

export type TaskPlanner = (
  inputs: Record<string, PlannedInput>,
  opts: { groupBytes: number; shuffle?: SqlShufflePlan },
) => SqlTask[];

/** Files giving each input's columns: its smallest file (a bucket may have none of its rows). */
function schemaViews(inputs: Record<string, PlannedInput>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, input]) => [
      name,
      input.files.length
        ? [input.files.reduce((a, b) => (b.size < a.size ? b : a)).uri]
        : (input.schemaFiles ?? []),
    ]),
  );
}

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
  shuffle: (inputs, opts) => {
    const { buckets, workUri } = opts.shuffle!;
    if (buckets === 1) return PLANNERS.single(inputs, opts);
    const emptyViews = schemaViews(inputs);
    return Array.from({ length: buckets }, (_, bucket) => ({
      task: bucket,
      tasks: buckets,
      views: {},
      emptyViews,
      shuffled: { bucket, workUri },
    }));
  },
};
