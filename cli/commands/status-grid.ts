// `daybreak status --grid`: pipelines x the last N logical dates, one mark per cell, from the runs
// (`<pipeline>/<date>`, found by the Pipeline and RunDate search attributes), the running daily
// DAGs (a branch waiting on a sensor has no run yet), the published manifests (stale: an input was
// republished after the output, lib/lineage.ts) and the schedule definitions (not scheduled).
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Config } from '../../lib/config.js';
import { DAILY_PIPELINE, dagStateQuery } from '../../lib/contracts/daily.js';
import { addDays } from '../../lib/contracts/logical-date.js';
import { RunDateKey, runDateOfAttribute } from '../../lib/contracts/search-attributes.js';
import { freshnessOf } from '../../lib/lineage.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { PIPELINES, type Catalogue } from '../../pipelines/index.js';
import { SCHEDULES } from '../../schedules/definitions/index.js';
import { parseScheduleDefinition } from '../../schedules/types.js';

export const CELL_STATES = [
  'succeeded',
  'failed',
  'running',
  'waiting',
  'stale',
  'missing',
  'not-scheduled',
] as const;
export type CellState = (typeof CELL_STATES)[number];

export interface GridCell {
  pipeline: string;
  date: string;
  state: CellState;
  workflowId?: string;
  runId?: string;
  url?: string;
  /** Root cause of a failure, what a waiting run waits for, why an output is stale. */
  detail?: string;
}

export interface StatusGrid {
  /** Oldest first. */
  dates: string[];
  pipelines: string[];
  cells: GridCell[];
}

export interface GridOptions {
  days: number;
  /** The last logical date shown (default today, UTC). */
  until: string;
  pipelines?: string[];
  catalogue?: Catalogue;
}

const FAILED = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

/**
 * Visibility query terms for RunDate in [from, to]: the upper bound is exclusive at the next
 * midnight (`<=` midnight misses the stored value of that very instant).
 */
const runDateIn = (from: string, to: string) =>
  `RunDate >= "${from}T00:00:00Z" AND RunDate < "${addDays(to, 1)}T00:00:00Z"`;

/** The latest run of each logical date of `pipeline` in [from, to]. */
async function latestRuns(client: Client, pipeline: string, from: string, to: string) {
  const byDate = new Map<string, WorkflowExecutionInfo>();
  const query = `Pipeline = "${pipeline}" AND ${runDateIn(from, to)}`;
  for await (const wf of client.workflow.list({ query })) {
    const date = runDateOfAttribute(wf.typedSearchAttributes.get(RunDateKey));
    if (!date) continue;
    const seen = byDate.get(date);
    if (!seen || seen.startTime < wf.startTime) byDate.set(date, wf);
  }
  return byDate;
}

/** `pipeline\ndate` -> what its branch waits for, from the daily DAGs running in the window. */
async function waitingBranches(client: Client, from: string, to: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const query = `Pipeline = "${DAILY_PIPELINE}" AND ExecutionStatus = "Running" AND ${runDateIn(from, to)}`;
  for await (const wf of client.workflow.list({ query })) {
    const state = await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .query(dagStateQuery)
      .catch(() => undefined);
    for (const b of state?.branches ?? [])
      if (b.state === 'waiting')
        out.set(`${b.pipeline}\n${state!.runDate}`, `waiting for ${(b.waitingFor ?? []).join(', ')}`);
  }
  return out;
}

/** Pipelines some schedule definition runs. */
function scheduledPipelines(catalogue: Catalogue): Set<string> {
  const out = new Set<string>();
  for (const input of SCHEDULES) {
    const def = parseScheduleDefinition(input);
    for (const p of def.pipelines === 'all' ? catalogue.names() : def.pipelines) out.add(p);
  }
  return out;
}

export async function statusGrid(client: Client, config: Config, opts: GridOptions): Promise<StatusGrid> {
  const [{ describeRunFailure }, { webUiRunUrl }] = await Promise.all([
    import('../../lib/runs.js'),
    import('../../lib/temporal.js'),
  ]);
  const catalogue = opts.catalogue ?? PIPELINES;
  const pipelines = opts.pipelines ?? catalogue.names();
  const from = addDays(opts.until, -(opts.days - 1));
  const dates = Array.from({ length: opts.days }, (_, i) => addDays(from, i));
  const waiting = await waitingBranches(client, from, opts.until);
  const scheduled = scheduledPipelines(catalogue);
  const cells: GridCell[] = [];
  for (const pipeline of pipelines) {
    const runs = await latestRuns(client, pipeline, from, opts.until);
    const output = catalogue.get(pipeline).output;
    for (const date of dates) {
      const run = runs.get(date);
      const ref = run
        ? {
            workflowId: run.workflowId,
            runId: run.runId,
            url: webUiRunUrl(config, run.workflowId, run.runId),
          }
        : {};
      const cell = (state: CellState, detail?: string): GridCell => ({
        pipeline,
        date,
        state,
        ...ref,
        ...(detail ? { detail } : {}),
      });
      const waitsFor = waiting.get(`${pipeline}\n${date}`);
      if (waitsFor) cells.push(cell('waiting', waitsFor));
      else if (run?.status.name === 'RUNNING') cells.push(cell('running'));
      else if (run && FAILED.has(run.status.name)) {
        const cause = await client.workflow
          .getHandle(run.workflowId, run.runId)
          .result()
          .then(
            () => undefined,
            (err: unknown) => describeRunFailure(err),
          );
        cells.push(cell('failed', cause ?? run.status.name.toLowerCase()));
      } else {
        const manifest = await readManifest(output.uri(config.DAYBREAK_DATA_ROOT, date));
        const freshness = manifest ? await freshnessOf(manifest) : undefined;
        if (freshness?.state === 'stale') cells.push(cell('stale', freshness.reasons.join('; ')));
        else if (manifest || run) cells.push(cell('succeeded'));
        else cells.push(cell(scheduled.has(pipeline) ? 'missing' : 'not-scheduled'));
      }
    }
  }
  return { dates, pipelines, cells };
}

/** Mark and ANSI colour of each state. */
export const MARKS: Record<CellState, { mark: string; colour: number }> = {
  succeeded: { mark: '✓', colour: 32 },
  failed: { mark: '✗', colour: 31 },
  running: { mark: '▶', colour: 34 },
  waiting: { mark: '…', colour: 33 },
  stale: { mark: '~', colour: 35 },
  missing: { mark: '?', colour: 90 },
  'not-scheduled': { mark: '·', colour: 90 },
};

/** The grid as text: a header of dates (MM-DD), one row per pipeline, a legend, then a footer. */
export function renderGrid(grid: StatusGrid, colour: boolean): string {
  const paint = (s: CellState) =>
    colour ? `\x1b[${MARKS[s].colour}m${MARKS[s].mark}\x1b[0m` : MARKS[s].mark;
  const width = Math.max(8, ...grid.pipelines.map((p) => p.length));
  const lines = [[''.padEnd(width), ...grid.dates.map((d) => d.slice(5))].join('  ')];
  for (const pipeline of grid.pipelines) {
    const row = grid.dates.map((date) => {
      const c = grid.cells.find((x) => x.pipeline === pipeline && x.date === date)!;
      return `    ${paint(c.state)}  `; // under the middle of its column's MM-DD
    });
    lines.push(`${pipeline.padEnd(width)}${row.join('')}`.trimEnd());
  }
  lines.push('', CELL_STATES.map((s) => `${paint(s)} ${s}`).join('  '));
  const notes = grid.cells.filter(
    (c) => c.state === 'failed' || c.state === 'stale' || c.state === 'waiting',
  );
  if (notes.length) lines.push('');
  for (const c of notes)
    lines.push(
      `${paint(c.state)} ${c.pipeline} ${c.date}: ${c.detail ?? c.state}${c.url ? `  ${c.url}` : ''}`,
    );
  return lines.join('\n');
}
