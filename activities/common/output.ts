// The publish protocol (lib/storage/publish.ts) as pipeline activities use it: the run writing an
// output is the activity's own workflow run, its Web UI link comes from config, and whether
// another run still holds a lock is asked of the Temporal server. Outside an activity (benches,
// tools) a local run stands in.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { log } from '@temporalio/activity';
import type { Config } from '../../lib/config.js';
import { parseRunWorkflowId } from '../../lib/contracts/run-id.js';
import { datasetOfUri, lineageOf, type LineageInput } from '../../lib/lineage.js';
import { joinUri, normalizeUri, storageFor } from '../../lib/storage/index.js';
import type { Manifest } from '../../lib/storage/manifest.js';
import {
  abortRunOutputs,
  commitOutput as commitStoredOutput,
  localRun,
  localRunIsOpen,
  openOutput,
  putOutputFile as putStoredFile,
  type CommitMeta,
  type OutputRef,
  type RunRef,
  type StagedFile,
  workPrefix,
} from '../../lib/storage/publish.js';
import { webUiRunUrl } from '../../lib/temporal.js';
import type { ActivityDeps } from './deps.js';
import { activityContext, heartbeating, whileHeartbeating } from './heartbeat.js';
import { wakeSensors } from './sensors.js';

export type { OutputRef, StagedFile } from '../../lib/storage/publish.js';

/** Where runs register the outputs they have open: `<data root>/_daybreak/open`. */
export function openOutputsRegistry(config: Pick<Config, 'DAYBREAK_DATA_ROOT'>): string {
  return joinUri(config.DAYBREAK_DATA_ROOT, '_daybreak', 'open');
}

/** The workflow run of the current activity. */
export function currentRun(): RunRef {
  const execution = activityContext()?.info.workflowExecution;
  if (!execution) throw new Error('not inside a workflow activity: no run to write an output for');
  return { workflowId: execution.workflowId, runId: execution.runId };
}

/** The current run's view of an output prefix (what its tasks put files into). */
export function runOutput(output: string | OutputRef): OutputRef {
  return typeof output === 'string' ? { prefix: normalizeUri(output), run: currentRun() } : output;
}

/** Whether a run is still running; a run the server no longer knows is closed. */
export async function isRunOpen(client: Client | undefined, run: RunRef): Promise<boolean> {
  const local = localRunIsOpen(run);
  if (local !== undefined) return local;
  if (!client) return true; // no server to ask: never take a Temporal run's lock
  try {
    const description = await client.workflow.getHandle(run.workflowId, run.runId).describe();
    return description.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Opens `output` for the current run (or, outside an activity, a local run) before any work, with
 * the run's input datasets: see openOutput for what it refuses. Returns the ref its tasks use.
 */
export async function openRunOutput(config: Config, output: string, inputs: string[]): Promise<OutputRef> {
  const ctx = activityContext();
  const run = ctx?.info.workflowExecution ? currentRun() : localRun();
  const ref = await openOutput(output, {
    owner: {
      run,
      webUiUrl: ctx ? webUiRunUrl(config, run.workflowId, run.runId) : undefined,
    },
    inputs: inputs.filter((i) => i !== ''),
    registry: openOutputsRegistry(config),
    isRunOpen: (other) => isRunOpen(ctx?.client, other),
  });
  // Lineage is taken now, before the run reads anything: an input republished while it runs
  // then shows as a newer digest, and the output counts as stale (re-run), never as fresh.
  const runDate =
    datasetOfUri(config.DAYBREAK_DATA_ROOT, ref.prefix).date ?? parseRunWorkflowId(run.workflowId).runDate;
  const lineage = await lineageOf(inputs, runDate, config.DAYBREAK_DATA_ROOT);
  await storageFor(ref.prefix).writeText(lineageUri(ref), JSON.stringify(lineage));
  return ref;
}

/** Where a run keeps the lineage of its open output until commit (removed with its `_work/`). */
function lineageUri(out: OutputRef): string {
  return joinUri(workPrefix(out.prefix, out.run.runId), LINEAGE_NAME);
}
const LINEAGE_NAME = '_LINEAGE.json';

/** The lineage openRunOutput recorded for the run's output (none: opened some other way). */
async function recordedLineage(out: OutputRef): Promise<LineageInput[] | undefined> {
  const storage = storageFor(out.prefix);
  const uri = lineageUri(out);
  if (!(await storage.stat(uri))) return undefined;
  return JSON.parse(await storage.readText(uri)) as LineageInput[];
}

/** Puts a finished local file into the current run's output under its run-scoped name. */
export function putOutputFile(
  output: string | OutputRef,
  localPath: string,
  name: string,
  rows: number,
): Promise<StagedFile> {
  return putStoredFile(runOutput(output), localPath, name, rows);
}

/**
 * Commits the current run's output: the files staged by its tasks become the published output,
 * with the lineage recorded when it was opened (unless `meta.inputs` gives it). Then the sensors
 * waiting for it are woken, so a downstream run starts now rather than at its next look.
 * Heartbeats while it runs (whileHeartbeating): the commit is idempotent, a killed one is retried.
 */
export function commitOutput(
  config: Config,
  output: string | OutputRef,
  meta: CommitMeta,
  files: StagedFile[],
): Promise<Manifest> {
  return whileHeartbeating(`commit ${typeof output === 'string' ? output : output.prefix}`, async () => {
    const out = runOutput(output);
    const inputs = meta.inputs ?? (await recordedLineage(out));
    const manifest = await commitStoredOutput(
      out,
      inputs ? { ...meta, inputs: inputs as unknown as Record<string, unknown>[] } : meta,
      files,
      openOutputsRegistry(config),
    );
    await wakeWaitingSensors(config, out.prefix);
    return manifest;
  });
}

/** Never fails the publish: a sensor that misses its signal finds the manifest at its next look. */
async function wakeWaitingSensors(config: Config, prefix: string): Promise<void> {
  const client = activityContext()?.client;
  if (!client) return; // outside a run: no server to signal through
  try {
    const { woken } = await wakeSensors(config, client, prefix);
    if (woken.length) log.info('woke the sensors waiting for this output', { output: prefix, runs: woken });
  } catch (err) {
    log.warn('could not wake the sensors waiting for this output', { output: prefix, error: String(err) });
  }
}

/** Activities of the protocol itself, for the workflow interceptor. */
export function createOutputActivities({ config }: ActivityDeps) {
  return {
    /** A run that failed or was cancelled: remove what it put into the outputs it had open. */
    abortRunOutputs: heartbeating('aborting the run outputs', (run: RunRef) =>
      abortRunOutputs(openOutputsRegistry(config), run),
    ),
  };
}

export type OutputActivities = ReturnType<typeof createOutputActivities>;
