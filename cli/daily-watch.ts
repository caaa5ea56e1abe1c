// Follows a daily DAG run and tells each state change in one line: a pipeline waiting for its
// input, started, completed (with its duration and output) or failed (with its root cause), and
// the DAG's end. Polls the DAG's progress query and describes its children once a second.
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { formatDuration } from '../lib/durations.js';
import { describeRunFailure } from '../lib/runs.js';
import type { BranchOutcome, DailyResult } from '../lib/contracts/daily.js';
import { progressQuery } from '../lib/contracts/progress.js';
import { runWorkflowId } from '../lib/contracts/run-id.js';

export interface WatchDailyOptions {
  client: Client;
  handle: WorkflowHandle;
  runDate: string;
  /** The DAG's pipelines with the inputs their sensors wait for (`{date}` already replaced). */
  branches: { pipeline: string; inputs: string[] }[];
  say: (line: string) => void;
  signal: AbortSignal;
}

type Seen = 'waiting' | 'running' | 'closed';

const POLL_MS = 1000;

/** The output a completed pipeline reports, when it names one. */
export function outputOf(outcome: BranchOutcome): string | undefined {
  const output = (outcome.result as { output?: unknown } | undefined)?.output;
  return typeof output === 'string' ? output : undefined;
}

function outcomeLine(o: BranchOutcome): string {
  const took = o.durationMs === undefined ? '' : ` in ${formatDuration(o.durationMs)}`;
  switch (o.status) {
    case 'completed':
      return `${o.workflowId} completed${took}${outputOf(o) ? `: ${outputOf(o)}` : ''}`;
    case 'failed':
      return `${o.workflowId} failed${took}: ${o.error ? `${o.error.type}: ${o.error.message}` : 'unknown cause'}`;
    case 'skipped':
      return `${o.workflowId} skipped: ${o.reason ?? ''}`;
    case 'up-to-date':
      return `${o.workflowId} up to date: ${o.reason ?? 'already published'}`;
  }
}

/** Resolves with the DAG's result (a failed DAG's result comes from its failure details). */
export async function watchDaily(opts: WatchDailyOptions): Promise<DailyResult | undefined> {
  const { client, handle, runDate, say, signal } = opts;
  const started = (await handle.describe()).startTime;
  const seen = new Map<string, Seen>();
  const poll = async () => {
    const phase = await handle.query(progressQuery).then(
      (p) => p.phase,
      () => '',
    );
    for (const branch of opts.branches) {
      const id = runWorkflowId(branch.pipeline, runDate);
      if (!seen.has(id) && phase.includes(`${branch.pipeline} (waiting for`)) {
        seen.set(id, 'waiting');
        say(`${id} waiting for ${branch.inputs.map((u) => `${u}/_SUCCESS`).join(', ')}`);
      }
      if (seen.get(id) === 'closed') continue;
      const child = client.workflow.getHandle(id);
      const info = await child.describe().catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
      // An execution from before this DAG run (an earlier date's run of the same id) is not news.
      if (!info || info.startTime < started) continue;
      if (info.status.name === 'RUNNING') {
        if (seen.get(id) !== 'running') say(`${id} started`);
        seen.set(id, 'running');
      } else {
        seen.set(id, 'closed');
        const took = formatDuration((info.closeTime ?? new Date()).getTime() - info.startTime.getTime());
        if (info.status.name === 'COMPLETED') {
          const result = (await child.result()) as { output?: unknown };
          say(`${id} completed in ${took}${typeof result?.output === 'string' ? `: ${result.output}` : ''}`);
        } else {
          const cause = await child.result().then(
            () => info.status.name.toLowerCase(),
            (err: unknown) => describeRunFailure(err),
          );
          say(`${id} failed in ${took}: ${cause}`);
        }
      }
    }
  };
  let result: DailyResult | undefined;
  let failure: unknown;
  const done = client
    .withAbortSignal(signal, () => handle.result())
    .then(
      (r) => (result = r as DailyResult),
      (err: unknown) => (failure = err),
    );
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished && !signal.aborted) {
    await poll().catch(() => undefined);
    await Promise.race([done, new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  if (signal.aborted) return undefined;
  if (failure) {
    // A DAG with failed branches fails with its result in the details.
    const details = (failure as { cause?: { details?: unknown[] } }).cause?.details?.[0] as
      DailyResult | undefined;
    if (!details) {
      say(`${handle.workflowId} failed: ${describeRunFailure(failure)}`);
      return undefined;
    }
    result = details;
  }
  // What polling did not see: branches left alone, skipped, failed before starting, or too quick.
  for (const o of result!.outcomes) if (seen.get(o.workflowId) !== 'closed') say(outcomeLine(o));
  const failed = result!.failed;
  say(
    failed.length
      ? `${handle.workflowId} failed: ${failed.join(', ')} did not complete`
      : `${handle.workflowId} completed: ${result!.outcomes.map((o) => `${o.pipeline} ${o.status}`).join(', ')}`,
  );
  return result;
}
