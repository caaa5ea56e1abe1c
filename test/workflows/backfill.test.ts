// The backfill workflow on the real dev server, with real session-ranking runs: one parent runs the
// planned dates as the usual children `<pipeline>/<date>`, never more than --max-parallel at once
// (and that many when it can), each child at the backfill's lower priority; what is published is
// left alone next time; a failed date is reported with its root cause, its planned downstream is
// skipped naming it, and `--reprocess failed` picks that date up again.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBackfill, planFor } from '../../cli/commands/backfill.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import {
  BACKFILL_PRIORITY,
  BACKFILL_WORKFLOW,
  backfillStateQuery,
  type BackfillInput,
  type BackfillState,
} from '../../lib/contracts/backfill.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import { PIPELINES } from '../../pipelines/index.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

let env: TestWorker;
let root: string;
const DATES = ['2014-06-01', '2014-06-02', '2014-06-03', '2014-06-04', '2014-06-05'];
const output = (date: string) => path.join(root, 'curated', 'session-ranking', `dt=${date}`);

beforeAll(async () => {
  root = tempDir('backfill');
  env = await startTestWorker(testConfig({ DAYBREAK_DATA_ROOT: root }));
  await generateSessionRanking({ rows: 2_000, users: 200, seed: 5, out: path.join(root, 'raw'), year: 2014 });
});
afterAll(async () => {
  await env?.stop();
});

const opts = (from: string, to: string, reprocess: 'missing' | 'failed' = 'missing') => ({
  from,
  to,
  reprocess,
  downstream: false,
  param: {},
});

test('runs the missing dates, at most --max-parallel at once, below daily runs in priority', async () => {
  // One date is published already: a missing-mode backfill leaves it alone.
  const file = path.join(tempDir('part'), 'part-0.txt');
  await fs.writeFile(file, 'x\n');
  await publishLocalFiles(output(DATES[1]!), { pipeline: 'session-ranking', runDate: DATES[1]! }, [
    { localPath: file, name: 'part-0.txt', rows: 1 },
  ]);
  const plan = await planFor('session-ranking', opts(DATES[0]!, DATES[4]!), env.config, env.client);
  expect(plan.items.map((i) => i.runDate)).toEqual([DATES[0], DATES[2], DATES[3], DATES[4]]);
  expect(plan.left.map((l) => l.runDate)).toEqual([DATES[1]]);

  const handle = await startBackfill(
    env.client,
    env.config,
    'session-ranking',
    { from: DATES[0]!, to: DATES[4]!, reprocess: 'missing', maxParallel: 2 },
    plan,
    env.config.DAYBREAK_TASK_QUEUE,
  );
  expect(handle.workflowId).toMatch(
    new RegExp(`^${BACKFILL_WORKFLOW}/session-ranking/${DATES[0]}\\.\\.${DATES[4]}/`),
  );
  const state = (await handle.result()) as BackfillState;
  expect(state).toMatchObject({ done: 4, failed: 0, skipped: 0, remaining: 0, running: 0 });
  expect(await handle.query(backfillStateQuery)).toEqual(state);
  expect(state.items.map((i) => [i.workflowId, i.state])).toEqual(
    plan.items.map((i) => [`session-ranking/${i.runDate}`, 'completed']),
  );
  for (const d of [DATES[0]!, DATES[2]!, DATES[3]!, DATES[4]!]) {
    const manifest = await readManifest(output(d));
    expect(manifest?.runDate).toBe(d);
    expect(manifest?.totals.rows).toBeGreaterThan(0);
  }

  // Never more than two at once, and two at once when four wait: from the children's own times.
  const spans = await Promise.all(
    state.items.map(async (i) => {
      const d = await env.client.workflow.getHandle(i.workflowId, i.runId).describe();
      expect(d.raw.workflowExecutionInfo?.priority?.priorityKey).toBe(BACKFILL_PRIORITY);
      expect(d.raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(handle.workflowId);
      return [d.startTime.getTime(), d.closeTime!.getTime()] as const;
    }),
  );
  const overlapAt = (t: number) => spans.filter(([s, e]) => s <= t && t < e).length;
  const most = Math.max(...spans.map(([s]) => overlapAt(s)));
  expect(most).toBe(2);

  // Published now: the same request plans nothing.
  const again = await planFor('session-ranking', opts(DATES[0]!, DATES[4]!), env.config, env.client);
  expect(again.items).toEqual([]);
  expect(again.left).toHaveLength(5);
});

test('a failed date reports its root cause, skips its planned downstream; --reprocess failed picks it up', async () => {
  const date = '2014-07-01';
  const plan = await planFor('session-ranking', opts(date, date), env.config, env.client);
  const good = plan.items[0]!;
  const missing = path.join(root, 'nowhere');
  // The same date with an input that does not exist, and a planned reader of its output after it.
  const input: BackfillInput = {
    target: 'session-ranking',
    from: date,
    to: date,
    reprocess: 'missing',
    maxParallel: 2,
    items: [
      { ...good, params: { ...(good.params as object), activity: missing } },
      {
        ...good,
        pipeline: 'model-scoring',
        workflowType: PIPELINES.get('model-scoring').workflow.name,
        reason: 'downstream of session-ranking',
        dependsOn: ['session-ranking'],
      },
    ],
  };
  const handle = await env.client.workflow.start(BACKFILL_WORKFLOW, {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `${BACKFILL_WORKFLOW}/failing-${Date.now()}`,
    args: [input],
  });
  const state = (await handle.result()) as BackfillState;
  expect(state).toMatchObject({ done: 0, failed: 1, skipped: 1, remaining: 0 });
  expect(state.items[0]).toMatchObject({
    workflowId: `session-ranking/${date}`,
    state: 'failed',
    error: { type: 'MissingInput', message: expect.stringContaining(`found at ${missing}`) },
  });
  expect(state.items[1]).toMatchObject({
    workflowId: `model-scoring/${date}`,
    state: 'skipped',
    error: { type: 'UpstreamFailed', message: `upstream session-ranking failed for ${date}` },
  });

  // The failed date is missing too; `failed` names the failure as the reason.
  const again = await planFor('session-ranking', opts(date, date, 'failed'), env.config, env.client);
  expect(again.items.map((i) => [i.runDate, i.reason])).toEqual([[date, 'failed: its last run failed']]);
});
