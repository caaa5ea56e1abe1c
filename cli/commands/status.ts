// `daybreak status [PIPELINE] [--days N]`: the last runs per pipeline, found by the `Pipeline`
// search attribute: state, logical date, duration, attempts (runs of the same id) and the Web UI link.
import { Command, InvalidArgumentError } from 'commander';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { loadConfig, type Config } from '../../lib/config.js';
import { PIPELINES } from '../../pipelines/index.js';
import { commandCatalogue } from '../catalogue.js';
import { DAILY_PIPELINE } from '../../lib/contracts/daily.js';
import { RunDateKey, runDateOfAttribute } from '../../lib/contracts/search-attributes.js';
import { formatDuration } from '../../lib/durations.js';
import { parseDateOption, today } from '../params.js';
import type { Dataset } from '../../lib/datasets.js';
import { freshnessOf } from '../../lib/lineage.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { formatTable } from '../table.js';
import { renderGrid, statusGrid } from './status-grid.js';

export interface RunStatus {
  pipeline: string;
  workflowId: string;
  runId: string;
  state: string;
  logicalDate?: string;
  startedAt: string;
  durationMs: number;
  /** Executions of this workflow id in the window (first run + re-runs). */
  attempts: number;
  /** The highest attempt of a pending activity (a run that is retrying). */
  activityAttempt?: number;
  error?: string;
  /** A completed run whose output was published on inputs republished since: why (lib/lineage.ts). */
  stale?: string;
  url: string;
}

/** Latest run of each `<pipeline>/<date>` started in the last `days` days, newest logical date first. */
export async function pipelineStatus(
  client: Client,
  config: Config,
  pipeline: string,
  days: number,
  output?: Dataset,
): Promise<RunStatus[]> {
  const [{ describeRunFailure }, { webUiRunUrl }] = await Promise.all([
    import('../../lib/runs.js'),
    import('../../lib/temporal.js'),
  ]);
  const since = new Date(Date.now() - days * 86_400_000).toISOString();
  const byId = new Map<string, WorkflowExecutionInfo[]>();
  for await (const wf of client.workflow.list({
    query: `Pipeline = "${pipeline}" AND StartTime >= "${since}"`,
  })) {
    byId.set(wf.workflowId, [...(byId.get(wf.workflowId) ?? []), wf]);
  }
  // One round trip per run at most, all at once: a sequential loop made status wait for each.
  const runStatus = async ([workflowId, runs]: [string, WorkflowExecutionInfo[]]): Promise<RunStatus> => {
    const last = runs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime())[0]!;
    const handle = client.workflow.getHandle(workflowId, last.runId);
    const status: RunStatus = {
      pipeline,
      workflowId,
      runId: last.runId,
      state: last.status.name,
      logicalDate: runDateOfAttribute(last.typedSearchAttributes.get(RunDateKey)),
      startedAt: last.startTime.toISOString(),
      durationMs: (last.closeTime ?? new Date()).getTime() - last.startTime.getTime(),
      attempts: runs.length,
      url: webUiRunUrl(config, workflowId, last.runId),
    };
    if (last.status.name === 'RUNNING') {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const attempt = Math.max(0, ...pending.map((a) => a.attempt ?? 0));
      if (attempt > 1) status.activityAttempt = attempt;
    } else if (last.status.name !== 'COMPLETED') {
      status.error = await handle.result().then(
        () => undefined,
        (err: unknown) => describeRunFailure(err),
      );
    } else if (output && status.logicalDate) {
      status.stale = await staleness(output.uri(config.DAYBREAK_DATA_ROOT, status.logicalDate), last.runId);
    }
    return status;
  };
  const out = await Promise.all([...byId].map(runStatus));
  return out.sort(
    (a, b) =>
      (b.logicalDate ?? '').localeCompare(a.logicalDate ?? '') || b.startedAt.localeCompare(a.startedAt),
  );
}

/** Why the output this run published is stale, if it is (a later run's output is not this run's). */
async function staleness(prefix: string, runId: string): Promise<string | undefined> {
  const manifest = await readManifest(prefix);
  if (!manifest || (manifest.run && manifest.run.runId !== runId)) return undefined;
  const freshness = await freshnessOf(manifest);
  return freshness.state === 'stale' ? freshness.reasons.join('; ') : undefined;
}

interface StatusOptions {
  days: number;
  json: boolean;
  grid: boolean;
  date?: string;
}

function parseDays(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('expected a whole number of days >= 1');
  return Number(value);
}

export function statusCommand(): Command {
  return new Command('status')
    .description('last runs per pipeline: state, logical date, duration, attempts, Web UI link')
    .argument(
      '[pipeline]',
      `one of: ${[...PIPELINES.names(), DAILY_PIPELINE].join(', ')}, a SQL pipeline (default: all)`,
    )
    .option('--days <n>', 'runs started in the last N days', parseDays, 7)
    .option('--json', 'print JSON', false)
    .option(
      '--grid',
      'pipelines x logical dates, one mark per cell: succeeded, failed, running, waiting, stale, missing, not scheduled',
      false,
    )
    .option(
      '--date <YYYY-MM-DD>',
      'with --grid: the last logical date shown (default today, UTC)',
      parseDateOption,
    )
    .action(async (pipeline: string | undefined, opts: StatusOptions) => {
      const config = loadConfig();
      const catalogue = await commandCatalogue(config);
      const pipelines = pipeline ? [pipeline] : [DAILY_PIPELINE, ...catalogue.names()];
      const outputOf = (p: string) => (catalogue.names().includes(p) ? catalogue.get(p).output : undefined);
      const { connectClient } = await import('../../lib/temporal.js');
      const client = await connectClient(config);
      try {
        if (opts.grid) {
          const grid = await statusGrid(client, config, {
            days: opts.days,
            until: opts.date ?? today(),
            pipelines: pipeline ? [pipeline] : undefined,
            catalogue,
          });
          const colour = process.stdout.isTTY === true;
          process.stdout.write(`${opts.json ? JSON.stringify(grid, null, 2) : renderGrid(grid, colour)}\n`);
          return;
        }
        // Every pipeline's list at once (order kept): one round trip of latency, not one per pipeline.
        const rows = (
          await Promise.all(pipelines.map((p) => pipelineStatus(client, config, p, opts.days, outputOf(p))))
        ).flat();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (!rows.length) {
          process.stdout.write(`no runs of ${pipelines.join(', ')} in the last ${opts.days} days\n`);
          return;
        }
        process.stdout.write(
          `${formatTable(
            ['pipeline', 'logical date', 'state', 'duration', 'attempts', 'link', 'cause'],
            rows.map((r) => [
              r.pipeline,
              r.logicalDate ?? '-',
              r.state.toLowerCase() +
                (r.activityAttempt ? ` (retry ${r.activityAttempt})` : '') +
                (r.stale ? ' (stale)' : ''),
              formatDuration(r.durationMs),
              String(r.attempts),
              r.url,
              r.error ?? r.stale ?? '',
            ]),
          )}\n`,
        );
      } finally {
        await client.connection.close();
      }
    });
}
