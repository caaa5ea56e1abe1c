// backfill: one parent workflow per `daybreak backfill` request. It runs the planned
// pipeline-dates (planned client-side from the manifests, pipelines/backfill.ts) as the usual
// children `<pipeline>/<date>`: dates in order, at most `maxParallel` at once, each after the
// planned upstream of its date (skipped when that failed), at BACKFILL_PRIORITY so daily runs'
// tasks go first. A failed run alerts on its own (it is a pipeline run like any other); the
// backfill completes with every outcome in its result.
import { setCurrentDetails, setHandler, startChild, condition, workflowInfo } from '@temporalio/workflow';
import {
  BACKFILL_PRIORITY,
  backfillStateQuery,
  type BackfillInput,
  type BackfillItemOutcome,
  type BackfillState,
} from '../lib/contracts/backfill.js';
import { progressQuery, type RunProgress } from '../lib/contracts/progress.js';
import { rootCauseOf } from '../lib/contracts/root-cause.js';
import { runWorkflowId } from '../lib/contracts/run-id.js';
import { runSearchAttributes } from '../lib/contracts/search-attributes.js';

const keyOf = (pipeline: string, runDate: string) => `${pipeline}\n${runDate}`;

export async function backfill(input: BackfillInput): Promise<BackfillState> {
  const maxParallel = Math.max(1, Math.floor(input.maxParallel));
  const outcomes: BackfillItemOutcome[] = input.items.map((item) => ({
    pipeline: item.pipeline,
    runDate: item.runDate,
    workflowId: runWorkflowId(item.pipeline, item.runDate),
    state: 'pending',
    reason: item.reason,
  }));
  const byKey = new Map(outcomes.map((o) => [keyOf(o.pipeline, o.runDate), o]));
  const state = (): BackfillState => {
    const count = (s: BackfillItemOutcome['state']) => outcomes.filter((o) => o.state === s).length;
    return {
      target: input.target,
      maxParallel,
      done: count('completed'),
      running: count('running'),
      failed: count('failed'),
      skipped: count('skipped'),
      remaining: count('pending'),
      items: outcomes,
    };
  };
  setHandler(backfillStateQuery, state);
  setHandler(progressQuery, (): RunProgress => {
    const s = state();
    return {
      phase: `${s.running} running, ${s.failed} failed, ${s.remaining} remaining`,
      shardsDone: s.done + s.failed + s.skipped,
      shardsTotal: outcomes.length,
      rows: 0,
    };
  });
  const show = () => {
    const s = state();
    setCurrentDetails(
      `**backfill ${input.target} ${input.from}..${input.to}** (${input.reprocess}, ${maxParallel} at a time): ` +
        `${s.done} done, ${s.running} running, ${s.failed} failed, ${s.skipped} skipped, ${s.remaining} remaining`,
    );
  };

  let changed = 0;
  const run = async (index: number) => {
    const item = input.items[index]!;
    const outcome = outcomes[index]!;
    outcome.state = 'running';
    outcome.startedAt = new Date(Date.now()).toISOString();
    try {
      const child = await startChild(item.workflowType, {
        workflowId: outcome.workflowId,
        args: [{ runDate: item.runDate, params: item.params }],
        typedSearchAttributes: runSearchAttributes(item.pipeline, item.runDate),
        memo: item.memo,
        priority: { priorityKey: BACKFILL_PRIORITY },
        staticSummary: `${item.pipeline} for ${item.runDate} (backfill ${workflowInfo().workflowId}: ${item.reason})`,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      outcome.runId = child.firstExecutionRunId;
      await child.result();
      outcome.state = 'completed';
    } catch (err) {
      outcome.state = 'failed';
      outcome.error = rootCauseOf(err);
    } finally {
      outcome.closedAt = new Date(Date.now()).toISOString();
      changed++;
    }
  };

  const running = new Set<Promise<void>>();
  for (;;) {
    // Items whose planned upstream of the same date did not complete are skipped, naming it.
    for (const [i, item] of input.items.entries()) {
      const outcome = outcomes[i]!;
      if (outcome.state !== 'pending') continue;
      const blocked = item.dependsOn
        .map((d) => byKey.get(keyOf(d, item.runDate)))
        .filter((u) => u && (u.state === 'failed' || u.state === 'skipped'));
      if (blocked.length) {
        outcome.state = 'skipped';
        outcome.error = {
          type: 'UpstreamFailed',
          message: `upstream ${blocked.map((u) => `${u!.pipeline} ${u!.state}`).join(', ')} for ${item.runDate}`,
        };
      }
    }
    const ready = input.items
      .map((item, i) => ({ item, i }))
      .filter(
        ({ item, i }) =>
          outcomes[i]!.state === 'pending' &&
          item.dependsOn.every((d) => {
            const u = byKey.get(keyOf(d, item.runDate));
            return !u || u.state === 'completed';
          }),
      );
    for (const { i } of ready.slice(0, maxParallel - running.size)) {
      const p = run(i).finally(() => running.delete(p));
      running.add(p);
    }
    show();
    if (running.size === 0) {
      // Nothing runs and nothing can start: all done (a pending item left would wait on an
      // upstream that is not in the plan's order; the planner never makes one).
      for (const o of outcomes.filter((x) => x.state === 'pending')) {
        o.state = 'skipped';
        o.error = { type: 'UpstreamFailed', message: 'its upstream never ran' };
      }
      break;
    }
    const seen = changed;
    await condition(() => changed !== seen);
  }
  show();
  return state();
}
