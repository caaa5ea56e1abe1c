// Planning a backfill (`daybreak backfill`) from the manifests: for each date of the range and each
// pipeline asked for, whether it runs and why, by the reprocess mode (each includes the ones
// before): `missing` (no published output), `failed` (also: its last run failed), `stale` (also:
// an input was republished after it, lib/lineage.ts), `all`. `downstream` adds, for each date,
// every pipeline that reads a re-run output. The plan (typed parameters built here, from the
// catalogue) is the backfill workflow's input, so a dry run shows exactly what would run.
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import { REPROCESS_MODES, type BackfillItem, type ReprocessMode } from '../lib/contracts/backfill.js';
import { dateRange } from '../lib/contracts/logical-date.js';
import { runWorkflowId } from '../lib/contracts/run-id.js';
import { freshnessOf } from '../lib/lineage.js';
import { readManifest } from '../lib/storage/manifest.js';
import { CatalogueError, dependencyOrder, type Catalogue } from './catalogue.js';

/** The most pipeline-dates one backfill runs (its plan travels in the workflow's input). */
export const MAX_BACKFILL_ITEMS = 2_000;

export interface PlanBackfillOptions {
  catalogue: Catalogue;
  config: Config;
  /** Needed for `failed` and above (the last run of each pipeline-date). */
  client?: Client;
  pipelines: readonly string[];
  from: string;
  to: string;
  reprocess: ReprocessMode;
  downstream?: boolean;
  /** Operator parameters per pipeline (`{date}` becomes the date). */
  rawParams?: Record<string, Record<string, string>>;
  /** Memo of every run (alert route, ...). */
  memo?: Record<string, unknown>;
}

/** A pipeline-date left alone, and why. */
export interface LeftAlone {
  pipeline: string;
  runDate: string;
  why: string;
}

export interface BackfillPlan {
  items: BackfillItem[];
  left: LeftAlone[];
}

const CLOSED_UNSUCCESSFULLY = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

async function lastRunStatus(client: Client | undefined, pipeline: string, runDate: string) {
  if (!client) return undefined;
  try {
    return (await client.workflow.getHandle(runWorkflowId(pipeline, runDate)).describe()).status.name;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}

/** Why `pipeline` runs on `runDate` under `mode`, or why not (`{ skip }`). */
async function decide(
  opts: PlanBackfillOptions,
  pipeline: string,
  runDate: string,
  output: string | undefined,
): Promise<{ run: string } | { skip: string }> {
  const rank = REPROCESS_MODES.indexOf(opts.reprocess);
  const status = await lastRunStatus(opts.client, pipeline, runDate);
  if (status === 'RUNNING') return { skip: `a run of ${runWorkflowId(pipeline, runDate)} is running` };
  if (opts.reprocess === 'all') return { run: 'all' };
  // A failed run is named as such when the mode asks for failures (its output is missing too).
  if (rank >= REPROCESS_MODES.indexOf('failed') && status && CLOSED_UNSUCCESSFULLY.has(status))
    return { run: `failed: its last run ${status.toLowerCase()}` };
  const manifest = output ? await readManifest(output) : undefined;
  if (!manifest) return { run: `missing: no published output${output ? ` at ${output}` : ''}` };
  if (rank >= REPROCESS_MODES.indexOf('stale')) {
    const freshness = await freshnessOf(manifest);
    if (freshness.state === 'stale') return { run: `stale: ${freshness.reasons.join('; ')}` };
  }
  return { skip: `published ${manifest.createdAt} (${manifest.totals.rows} rows)` };
}

export async function planBackfill(opts: PlanBackfillOptions): Promise<BackfillPlan> {
  const { catalogue } = opts;
  if (opts.from > opts.to) throw new CatalogueError(`--from ${opts.from} is after --to ${opts.to}`);
  for (const name of opts.pipelines) catalogue.get(name);
  for (const name of Object.keys(opts.rawParams ?? {})) {
    if (!opts.pipelines.includes(name) && !opts.downstream)
      throw new CatalogueError(`parameters given for ${name}, which this backfill does not run`);
  }
  const dates = dateRange(opts.from, opts.to);
  const order = dependencyOrder(catalogue.pipelines);
  const asked = new Set(opts.pipelines);
  const items: BackfillItem[] = [];
  const left: LeftAlone[] = [];
  for (const runDate of dates) {
    const planned = new Set<string>();
    for (const def of order) {
      const upstreamPlanned = catalogue.upstreamOf(def.name).filter((u) => planned.has(u));
      const viaDownstream = opts.downstream && upstreamPlanned.length > 0;
      if (!asked.has(def.name) && !viaDownstream) continue;
      const raw = Object.fromEntries(
        Object.entries(opts.rawParams?.[def.name] ?? {}).map(([k, v]) => [
          k,
          v.replaceAll('{date}', runDate),
        ]),
      );
      const params = catalogue.buildParams(def.name, raw, { config: opts.config, runDate });
      const output = (params as { output?: unknown }).output;
      let reason: string;
      if (viaDownstream) reason = `downstream of ${upstreamPlanned.join(', ')}`;
      else {
        const decision = await decide(
          opts,
          def.name,
          runDate,
          typeof output === 'string' ? output : undefined,
        );
        if ('skip' in decision) {
          left.push({ pipeline: def.name, runDate, why: decision.skip });
          continue;
        }
        reason = decision.run;
      }
      if (viaDownstream && (await lastRunStatus(opts.client, def.name, runDate)) === 'RUNNING') {
        left.push({
          pipeline: def.name,
          runDate,
          why: `a run of ${runWorkflowId(def.name, runDate)} is running`,
        });
        continue;
      }
      planned.add(def.name);
      items.push({
        pipeline: def.name,
        runDate,
        workflowType: def.workflow.name,
        params,
        reason,
        dependsOn: upstreamPlanned,
        memo: { alertRoute: def.alerts.route, ...opts.memo },
      });
    }
  }
  if (items.length > MAX_BACKFILL_ITEMS)
    throw new CatalogueError(
      `the backfill would run ${items.length} pipeline-dates, more than ${MAX_BACKFILL_ITEMS} in one request; split the date range`,
    );
  return { items, left };
}
