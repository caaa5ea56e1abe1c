// The publish protocol (lib/storage/publish.ts) as pipeline activities use it: the run writing an
// output is the activity's own workflow run, its Web UI link comes from config, and whether
// another run still holds a lock is asked of the Temporal server. Outside an activity (benches,
// tools) a local run stands in.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../../lib/config.js';
import { joinUri, normalizeUri } from '../../lib/storage/index.js';
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
} from '../../lib/storage/publish.js';
import { webUiRunUrl } from '../../lib/temporal.js';
import type { ActivityDeps } from './deps.js';

export type { OutputRef, StagedFile } from '../../lib/storage/publish.js';

/** Where runs register the outputs they have open: `<data root>/_daybreak/open`. */
export function openOutputsRegistry(config: Pick<Config, 'DAYBREAK_DATA_ROOT'>): string {
  return joinUri(config.DAYBREAK_DATA_ROOT, '_daybreak', 'open');
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // not inside an activity
  }
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
  return openOutput(output, {
    owner: {
      run,
      webUiUrl: ctx ? webUiRunUrl(config, run.workflowId, run.runId) : undefined,
    },
    inputs: inputs.filter((i) => i !== ''),
    registry: openOutputsRegistry(config),
    isRunOpen: (other) => isRunOpen(ctx?.client, other),
  });
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

/** Commits the current run's output: the files staged by its tasks become the published output. */
export function commitOutput(
  config: Config,
  output: string | OutputRef,
  meta: CommitMeta,
  files: StagedFile[],
): Promise<Manifest> {
  return commitStoredOutput(runOutput(output), meta, files, openOutputsRegistry(config));
}

/** Activities of the protocol itself, for the workflow interceptor. */
export function createOutputActivities({ config }: ActivityDeps) {
  return {
    /** A run that failed or was cancelled: remove what it put into the outputs it had open. */
    async abortRunOutputs(run: RunRef): Promise<string[]> {
      return abortRunOutputs(openOutputsRegistry(config), run);
    },
  };
}

export type OutputActivities = ReturnType<typeof createOutputActivities>;
