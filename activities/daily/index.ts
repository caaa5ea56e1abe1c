// Activities of the daily DAG: plan (typed parameters from the catalogue, what a re-run can skip)
// and a sensor's look for an input's `_SUCCESS` manifest.
import { Context } from '@temporalio/activity';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import type { SensorOwner } from '../../lib/contracts/sensors.js';
import { registerSensor, sensorRegistry, unregisterSensor } from '../../lib/sensors.js';
import { freshnessOf } from '../../lib/lineage.js';
import { readManifest } from '../../lib/storage/manifest.js';
import type { BranchPlan, DailyBranch, RerunMode } from '../../lib/contracts/daily.js';
import type { ActivityDeps } from '../common/deps.js';
import { whileHeartbeating } from '../common/heartbeat.js';

/**
 * Why a branch's output for `runDate` needs no new run (undefined: it does). With `fresh`, an output
 * published on inputs republished since (lib/lineage.ts) needs one too.
 */
async function outputUpToDate(params: unknown, runDate: string, fresh: boolean): Promise<string | undefined> {
  const output = (params as { output?: unknown } | undefined)?.output;
  if (typeof output !== 'string') return 'no output parameter to check';
  const manifest = await readManifest(output);
  if (!manifest) return undefined;
  if (manifest.runDate !== runDate) return undefined;
  if (fresh && (await freshnessOf(manifest)).state === 'stale') return undefined;
  return `output ${output} published (${manifest.totals.rows} rows)${fresh ? ', its inputs unchanged' : ''}`;
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

interface PlanInput {
  runDate: string;
  rerun: RerunMode;
  branches: Pick<DailyBranch, 'pipeline' | 'params' | 'rawParams' | 'sql'>[];
}

export function createDailyActivities({
  config,
  buildParams,
}: ActivityDeps & { buildParams: PipelineParamsBuilder }) {
  /** Each branch's parameters, and whether a `failed` or `stale` re-run can leave it alone. */
  async function planBranches(input: PlanInput): Promise<BranchPlan[]> {
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
      if (input.rerun !== 'all' && !plan.paramError) {
        try {
          const last = await client.workflow
            .getHandle(runWorkflowId(branch.pipeline, input.runDate))
            .describe();
          if (last.status.name === 'COMPLETED') {
            const published = await outputUpToDate(plan.params, input.runDate, input.rerun === 'stale');
            if (published) plan.upToDate = { runId: last.runId, reason: `last run completed; ${published}` };
          }
        } catch (err) {
          if ((err as Error).name !== 'WorkflowNotFoundError') throw err;
        }
      }
      plans.push(plan);
    }
    return plans;
  }

  return {
    /** Builds each branch's parameters and finds the branches a `failed` or `stale` re-run can leave alone. */
    async planDaily(input: PlanInput): Promise<BranchPlan[]> {
      // It describes runs and reads manifests: a worker killed meanwhile is noticed within 30 s.
      return whileHeartbeating(`plan ${input.branches.length} branches`, () => planBranches(input));
    },

    /**
     * One look of a sensor (the waiting itself is a durable timer in the workflow, holding no
     * slot): whether `uri` has its `_SUCCESS` manifest. While the sensor still waits
     * (`waiting`), its run is registered for a wake-up signal from whoever publishes `uri`;
     * once it has the input or gives up, the registration is removed. Heartbeats like the plan.
     */
    async checkInput(input: {
      uri: string;
      sensor: SensorOwner;
      waiting: boolean;
    }): Promise<{ published: boolean; rows?: number }> {
      return whileHeartbeating(`look for ${input.uri}`, async () => {
        const registry = sensorRegistry(config.DAYBREAK_DATA_ROOT);
        if (input.waiting) await registerSensor(registry, input.uri, input.sensor);
        const manifest = await readManifest(input.uri);
        if (manifest || !input.waiting) await unregisterSensor(registry, input.uri, input.sensor);
        return manifest ? { published: true, rows: manifest.totals.rows } : { published: false };
      });
    },
  };
}

export type DailyActivities = ReturnType<typeof createDailyActivities>;
