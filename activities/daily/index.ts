// Activities of the daily DAG: plan (typed parameters from the catalogue, what a re-run can skip)
// and the sensor that waits for an input's `_SUCCESS` manifest.
import { Context, sleep } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { formatDuration } from '../../lib/durations.js';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import { ErrorType } from '../../lib/errors.js';
import { joinUri } from '../../lib/storage/index.js';
import { MANIFEST_NAME, readManifest } from '../../lib/storage/manifest.js';
import type { BranchPlan, DailyBranch, RerunMode } from '../../lib/contracts/daily.js';
import type { ActivityDeps } from '../common/deps.js';

/** Largest gap between heartbeats while a sensor sleeps (its heartbeat timeout is 60 s). */
const HEARTBEAT_EVERY_MS = 10_000;

async function outputPublished(params: unknown, runDate: string): Promise<string | undefined> {
  const output = (params as { output?: unknown } | undefined)?.output;
  if (typeof output !== 'string') return 'no output parameter to check';
  const manifest = await readManifest(output);
  if (!manifest) return undefined;
  if (manifest.runDate !== runDate) return undefined;
  return `output ${output} published (${manifest.totals.rows} rows)`;
}

/**
 * Typed parameters of `pipeline` for a run on `runDate` (the catalogue's, given by the worker;
 * a SQL pipeline's from the definition its branch carries).
 */
export type PipelineParamsBuilder = (
  pipeline: string,
  raw: Record<string, string>,
  runDate: string,
  sql?: unknown,
) => unknown;

export function createDailyActivities({
  buildParams,
}: ActivityDeps & { buildParams: PipelineParamsBuilder }) {
  return {
    /** Builds each branch's parameters and finds the branches a `failed`-only re-run can leave alone. */
    async planDaily(input: {
      runDate: string;
      rerun: RerunMode;
      branches: Pick<DailyBranch, 'pipeline' | 'params' | 'rawParams' | 'sql'>[];
    }): Promise<BranchPlan[]> {
      const client = Context.current().client;
      const plans: BranchPlan[] = [];
      for (const branch of input.branches) {
        const plan: BranchPlan = { pipeline: branch.pipeline, params: branch.params };
        if (branch.rawParams) {
          try {
            plan.params = buildParams(branch.pipeline, branch.rawParams, input.runDate, branch.sql);
          } catch (err) {
            plan.paramError = `${branch.pipeline}: ${err instanceof Error ? err.message : String(err)}`;
          }
        }
        if (input.rerun === 'failed' && !plan.paramError) {
          try {
            const last = await client.workflow
              .getHandle(runWorkflowId(branch.pipeline, input.runDate))
              .describe();
            if (last.status.name === 'COMPLETED') {
              const published = await outputPublished(plan.params, input.runDate);
              if (published)
                plan.upToDate = { runId: last.runId, reason: `last run completed; ${published}` };
            }
          } catch (err) {
            if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
          }
        }
        plans.push(plan);
      }
      return plans;
    },

    /**
     * Sensor: pokes `input` for its `_SUCCESS` manifest every `pokeIntervalMs` until `deadline`
     * (absolute, so a retried sensor keeps the original deadline), heartbeating what it waits for.
     */
    async waitForInput(input: { uri: string; pokeIntervalMs: number; deadline: string }): Promise<{
      uri: string;
      pokes: number;
      waitedMs: number;
      rows: number;
    }> {
      const ctx = Context.current();
      const started = Date.now();
      const deadline = Date.parse(input.deadline);
      const manifestUri = joinUri(input.uri, MANIFEST_NAME);
      for (let pokes = 1; ; pokes++) {
        const manifest = await readManifest(input.uri);
        if (manifest)
          return { uri: input.uri, pokes, waitedMs: Date.now() - started, rows: manifest.totals.rows };
        const left = deadline - Date.now();
        if (left <= 0) {
          throw ApplicationFailure.create({
            type: ErrorType.SensorTimeout,
            nonRetryable: true,
            message: `input ${input.uri} has no ${MANIFEST_NAME} manifest after ${formatDuration(
              Date.now() - started,
            )} (${pokes} pokes, deadline ${input.deadline})`,
          });
        }
        const wakeAt = Date.now() + Math.min(input.pokeIntervalMs, left);
        while (Date.now() < wakeAt) {
          ctx.heartbeat({
            status: `waiting for ${manifestUri}: poke ${pokes}, ${formatDuration(deadline - Date.now())} to deadline`,
            pokes,
          });
          await sleep(Math.min(HEARTBEAT_EVERY_MS, wakeAt - Date.now()));
        }
      }
    },
  };
}

export type DailyActivities = ReturnType<typeof createDailyActivities>;
