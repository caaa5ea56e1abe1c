// `daybreak backfill <pipeline|schedule> --from D --to D`: plan the pipeline-dates to (re-)run from
// the manifests, then start one `backfill` workflow that runs them, at most --max-parallel at
// once, below daily runs in priority. The workflow outlives this command (Ctrl-C only stops
// watching); --dry-run prints the plan and starts nothing.
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { loadConfig, type Config } from '../../lib/config.js';
import {
  BACKFILL_PRIORITY,
  BACKFILL_WORKFLOW,
  backfillStateQuery,
  REPROCESS_MODES,
  type BackfillInput,
  type BackfillState,
  type ReprocessMode,
} from '../../lib/contracts/backfill.js';
import { runSearchAttributes } from '../../lib/contracts/search-attributes.js';
import { ParamError, PIPELINES, type Catalogue } from '../../pipelines/index.js';
import { planBackfill, type BackfillPlan } from '../../pipelines/backfill.js';
import { SCHEDULES } from '../../schedules/definitions/index.js';
import { parseScheduleDefinition } from '../../schedules/types.js';
import { collectParam, parseDateOption } from '../params.js';
import { formatTable } from '../table.js';

export interface BackfillOptions {
  from: string;
  to: string;
  reprocess: ReprocessMode;
  maxParallel: number;
  downstream: boolean;
  dryRun: boolean;
  json: boolean;
  wait: boolean;
  param: Record<string, string>;
}

function parseReprocess(value: string): ReprocessMode {
  if (!(REPROCESS_MODES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${REPROCESS_MODES.join(', ')}`);
  return value as ReprocessMode;
}

function parseParallel(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64)
    throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return Number(value);
}

/** What a target names: a pipeline of the catalogue, or a schedule definition (its pipelines). */
export function resolveTarget(
  target: string,
  param: Record<string, string>,
  catalogue: Catalogue = PIPELINES,
): {
  pipelines: string[];
  rawParams: Record<string, Record<string, string>>;
  memo?: Record<string, unknown>;
} {
  if (catalogue.has(target)) return { pipelines: [target], rawParams: { [target]: param } };
  const input = SCHEDULES.find((s) => s.name === target);
  if (!input)
    throw new ParamError(
      `${target} is neither a pipeline (${catalogue.names().join(', ')}) nor a schedule (${SCHEDULES.map((s) => s.name).join(', ')})`,
    );
  if (Object.keys(param).length)
    throw new ParamError(
      `--param applies to a pipeline backfill; schedule ${target} takes its parameters from its definition`,
    );
  const def = parseScheduleDefinition(input);
  return {
    pipelines: def.pipelines === 'all' ? catalogue.names() : [...def.pipelines],
    rawParams: def.params,
    memo: { alertRoute: def.alertRoute },
  };
}

export async function planFor(
  target: string,
  opts: Pick<BackfillOptions, 'from' | 'to' | 'reprocess' | 'downstream' | 'param'>,
  config: Config,
  client: Client,
  catalogue: Catalogue = PIPELINES,
): Promise<BackfillPlan> {
  const { pipelines, rawParams, memo } = resolveTarget(target, opts.param, catalogue);
  return planBackfill({
    catalogue,
    config,
    client,
    pipelines,
    rawParams,
    memo,
    from: opts.from,
    to: opts.to,
    reprocess: opts.reprocess,
    downstream: opts.downstream,
  });
}

/** Starts the backfill workflow for a plan. */
export async function startBackfill(
  client: Client,
  config: Config,
  target: string,
  opts: Pick<BackfillOptions, 'from' | 'to' | 'reprocess' | 'maxParallel'>,
  plan: BackfillPlan,
  taskQueue = config.DAYBREAK_TASK_QUEUE,
): Promise<WorkflowHandle> {
  const input: BackfillInput = {
    target,
    from: opts.from,
    to: opts.to,
    reprocess: opts.reprocess,
    maxParallel: opts.maxParallel,
    items: plan.items,
  };
  return client.workflow.start(BACKFILL_WORKFLOW, {
    taskQueue,
    workflowId: `${BACKFILL_WORKFLOW}/${target}/${opts.from}..${opts.to}/${randomUUID().slice(0, 8)}`,
    args: [input],
    typedSearchAttributes: runSearchAttributes(BACKFILL_WORKFLOW, opts.from),
    priority: { priorityKey: BACKFILL_PRIORITY },
    staticSummary: `backfill ${target} ${opts.from}..${opts.to}: ${plan.items.length} runs (${opts.reprocess}, ${opts.maxParallel} at a time)`,
  });
}

function printPlan(plan: BackfillPlan): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  if (plan.items.length === 0) out('nothing to run');
  else
    out(
      formatTable(
        ['pipeline', 'date', 'why'],
        plan.items.map((i) => [i.pipeline, i.runDate, i.reason]),
      ),
    );
  if (plan.left.length) {
    out(`\nleft alone (${plan.left.length}):`);
    out(
      formatTable(
        ['pipeline', 'date', 'why'],
        plan.left.map((l) => [l.pipeline, l.runDate, l.why]),
      ),
    );
  }
}

function progressBar(label: string, total: number) {
  if (!process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} |{bar}| {value}/{total} | {done} done, {running} running, {failed} failed, {remaining} remaining`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { done: 0, running: 0, failed: 0, remaining: total });
  return {
    update: (s: BackfillState) =>
      bar.update(s.done + s.failed + s.skipped, {
        done: s.done,
        running: s.running,
        failed: s.failed + s.skipped,
        remaining: s.remaining,
      }),
    stop: () => bar.stop(),
  };
}

async function follow(handle: WorkflowHandle, total: number): Promise<BackfillState> {
  const bar = progressBar(handle.workflowId, total);
  const timer = setInterval(() => {
    handle.query(backfillStateQuery).then(
      (s) => bar?.update(s),
      () => undefined,
    );
  }, 1000);
  try {
    const state = (await handle.result()) as BackfillState;
    bar?.update(state);
    return state;
  } finally {
    clearInterval(timer);
    bar?.stop();
  }
}

export function backfillCommand(): Command {
  return new Command('backfill')
    .description(
      "run a pipeline (or a schedule's pipelines) over a range of dates: what is missing, failed, stale or all",
    )
    .argument(
      '<pipeline|schedule>',
      `a pipeline (${PIPELINES.names().join(', ')}) or a schedule (${SCHEDULES.map((s) => s.name).join(', ')})`,
    )
    .requiredOption('--from <YYYY-MM-DD>', 'first logical date', parseDateOption)
    .requiredOption('--to <YYYY-MM-DD>', 'last logical date (inclusive)', parseDateOption)
    .option(
      '--reprocess <mode>',
      'missing: dates without a published output; failed: also those whose last run failed; stale: also those an input was republished after; all: every date',
      parseReprocess,
      'missing' as ReprocessMode,
    )
    .option('--max-parallel <n>', 'pipeline runs at once', parseParallel, 2)
    .option('--downstream', 'also re-run, for each date, the pipelines that read a re-run output', false)
    .option('--dry-run', 'print the pipeline-dates it would run and why; start nothing', false)
    .option(
      '--param <key=value>',
      'pipeline parameter (repeatable; a pipeline backfill only)',
      collectParam,
      {},
    )
    .option('--json', 'print JSON on stdout (the plan with --dry-run, else the final state)', false)
    .option('--no-wait', 'start the backfill and exit (it runs on without this command)')
    .action(async (target: string, opts: BackfillOptions) => {
      const config = loadConfig();
      const { connectClient, webUiRunUrl } = await import('../../lib/temporal.js');
      const client = await connectClient(config);
      try {
        const plan = await planFor(target, opts, config, client);
        if (opts.dryRun) {
          if (opts.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
          else printPlan(plan);
          return;
        }
        if (plan.items.length === 0) {
          process.stderr.write(
            `daybreak: nothing to backfill for ${target} ${opts.from}..${opts.to} (${opts.reprocess})\n`,
          );
          if (opts.json) process.stdout.write(`${JSON.stringify({ items: [], left: plan.left }, null, 2)}\n`);
          return;
        }
        const handle = await startBackfill(client, config, target, opts, plan);
        const runId = (await handle.describe()).runId;
        process.stderr.write(
          `daybreak: started ${handle.workflowId}: ${plan.items.length} runs, ${opts.maxParallel} at a time\n` +
            `daybreak: ${webUiRunUrl(config, handle.workflowId, runId)}\n`,
        );
        if (!opts.wait) return;
        const stopWatching = () => {
          process.stderr.write(`\ndaybreak: stopped watching; ${handle.workflowId} runs on\n`);
          process.exit(130);
        };
        process.once('SIGINT', stopWatching);
        const state = await follow(handle, plan.items.length);
        process.off('SIGINT', stopWatching);
        if (opts.json) process.stdout.write(`${JSON.stringify(state, null, 2)}\n`);
        process.stderr.write(
          `daybreak: ${handle.workflowId}: ${state.done} completed, ${state.failed} failed, ${state.skipped} skipped\n`,
        );
        for (const item of state.items.filter((i) => i.error))
          process.stderr.write(
            `  ${item.workflowId} ${item.state}: ${item.error!.type}: ${item.error!.message}\n`,
          );
        if (state.failed || state.skipped) process.exitCode = 1;
      } finally {
        await client.connection.close();
      }
    });
}
