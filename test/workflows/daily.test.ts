// The daily DAG on the real dev server: one child made to fail (bad input) -> its dependant is
// skipped, the independent branch completes, the parent reports all of them; a re-run of the date
// re-runs only what failed unless told `all`; sensors wait for a late input and fail at their
// deadline (InputMissing), naming the input that never appeared.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { PIPELINES } from '../../pipelines/index.js';
import { buildParams } from '../../pipelines/params.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import type { SessionRankingResult } from '../../activities/session-ranking/types.js';
import type { DailyBranch, DailyInput, DailyResult, RerunMode } from '../../lib/contracts/daily.js';
import { PipelineKey, RunDateKey } from '../../lib/contracts/search-attributes.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

let env: TestWorker;
let dataDir: string;
const RUN_DATE = '2018-05-05';
const tag = randomUUID().slice(0, 6);

beforeAll(async () => {
  env = await startTestWorker(testConfig());
  dataDir = tempDir('daily');
  await generateSessionRanking({ rows: 3_000, users: 300, seed: 5, out: dataDir, year: 2018 });
});
afterAll(async () => env?.stop());

function ranking(
  name: string,
  opts: { dependsOn?: string[]; inputs?: string[]; activity?: string } = {},
): DailyBranch {
  const def = PIPELINES.get('session-ranking');
  return {
    pipeline: `${name}-${tag}`,
    workflowType: def.workflow.name,
    params: buildParams(
      def,
      {
        activity: opts.activity ?? path.join(dataDir, 'user_activity'),
        profile: path.join(dataDir, 'user_profile'),
        output: path.join(dataDir, 'out', name),
      },
      { config: env.config, runDate: RUN_DATE },
    ),
    dependsOn: (opts.dependsOn ?? []).map((d) => `${d}-${tag}`),
    inputs: opts.inputs ?? [],
    memo: { alertRoute: 'test' },
  };
}

/** Runs the DAG for RUN_DATE; returns its result, from the failure details when it failed. */
async function runDaily(input: DailyInput): Promise<{ result: DailyResult; failure?: ApplicationFailure }> {
  const handle = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `daily/${RUN_DATE}-${randomUUID()}`,
    args: [input],
  });
  try {
    return { result: (await handle.result()) as DailyResult };
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    return { result: failure.details![0] as DailyResult, failure };
  }
}

const statusOf = (r: DailyResult) =>
  Object.fromEntries(r.outcomes.map((o) => [o.pipeline.replace(`-${tag}`, ''), o.status]));

test('a failing child: its dependant is skipped, the other branch completes, the parent reports all', async () => {
  const missing = path.join(dataDir, 'no-such-activity');
  const branches = [
    ranking('ok'),
    ranking('after-ok', { dependsOn: ['ok'] }),
    ranking('bad', { activity: missing }),
    ranking('after-bad', { dependsOn: ['bad'] }),
  ];
  const rerun = async (mode: RerunMode, list = branches) =>
    runDaily({ runDate: RUN_DATE, branches: list, rerun: mode });

  const { result, failure } = await rerun('failed');
  expect(statusOf(result)).toEqual({
    ok: 'completed',
    'after-ok': 'completed',
    bad: 'failed',
    'after-bad': 'skipped',
  });
  const bad = result.outcomes.find((o) => o.pipeline === `bad-${tag}`)!;
  expect(bad.error).toEqual({
    type: 'MissingInput',
    message: `no user_activity Parquet files found at ${missing}`,
  });
  expect(result.outcomes.find((o) => o.pipeline === `after-bad-${tag}`)!.reason).toBe(
    `upstream bad-${tag} failed`,
  );
  expect(failure?.type).toBe('DagBranchFailed');
  expect(failure?.message).toContain(
    `bad-${tag} failed: MissingInput: no user_activity Parquet files found at ${missing}`,
  );
  expect(failure?.message).toContain(`after-bad-${tag} skipped`);
  expect(result.failed.sort()).toEqual([`after-bad-${tag}`, `bad-${tag}`]);
  // The completed branch really ran: its child counted every generated session.
  const ok = result.outcomes.find((o) => o.pipeline === `ok-${tag}`)!;
  expect((ok.result as SessionRankingResult).inputRows).toBe(3_000);
  // Children have the clean ids, search attributes and memo; the failed child's own failure is its cause.
  const child = await env.client.workflow.getHandle(`bad-${tag}/${RUN_DATE}`).describe();
  expect(child.status.name).toBe('FAILED');
  expect(child.typedSearchAttributes.get(PipelineKey)).toBe(`bad-${tag}`);
  expect(child.typedSearchAttributes.get(RunDateKey)?.toISOString()).toBe(`${RUN_DATE}T00:00:00.000Z`);
  await expect(env.client.workflow.getHandle(`bad-${tag}/${RUN_DATE}`).result()).rejects.toMatchObject({
    cause: { type: 'MissingInput', message: `no user_activity Parquet files found at ${missing}` },
  });

  // Fixed input, re-run of the date: only what failed runs again.
  const fixed = branches.map((b) => (b.pipeline === `bad-${tag}` ? ranking('bad') : b));
  const second = await rerun('failed', fixed);
  expect(second.failure).toBeUndefined();
  expect(statusOf(second.result)).toEqual({
    ok: 'up-to-date',
    'after-ok': 'up-to-date',
    bad: 'completed',
    'after-bad': 'completed',
  });
  expect(second.result.outcomes.find((o) => o.pipeline === `ok-${tag}`)!.runId).toBe(ok.runId);

  // --rerun all runs everything again.
  const third = await rerun('all', fixed);
  expect(Object.values(statusOf(third.result))).toEqual(['completed', 'completed', 'completed', 'completed']);
  expect(third.result.outcomes.find((o) => o.pipeline === `ok-${tag}`)!.runId).not.toBe(ok.runId);
});

test('sensors: a late input is waited for; one that never appears fails at its deadline naming it', async () => {
  const late = path.join(dataDir, 'raw', 'late', `dt=${RUN_DATE}`);
  const never = path.join(dataDir, 'raw', 'never', 'dt={date}');
  const branches = [
    ranking('sensor-late', { inputs: [path.join(dataDir, 'raw', 'late', 'dt={date}')] }),
    ranking('sensor-never', { inputs: [never] }),
  ];
  // Publish the late input 1.5 s into the run.
  const publisher = (async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const file = path.join(tempDir('late'), 'part-0.txt');
    await fs.writeFile(file, 'x\n');
    await publishLocalFiles(late, { pipeline: 'upstream', runDate: RUN_DATE }, [
      { localPath: file, name: 'part-0.txt', rows: 1 },
    ]);
  })();
  const started = Date.now();
  const { result, failure } = await runDaily({
    runDate: RUN_DATE,
    branches,
    rerun: 'all',
    sensor: { pokeIntervalMs: 300, timeoutMs: 4_000 },
  });
  await publisher;
  expect(statusOf(result)).toEqual({ 'sensor-late': 'completed', 'sensor-never': 'failed' });
  // The late branch waited for its input (published 1.5 s in) before its child ran.
  expect(result.outcomes.find((o) => o.pipeline === `sensor-late-${tag}`)!.durationMs).toBeGreaterThanOrEqual(
    1_400,
  );
  const neverUri = never.replace('{date}', RUN_DATE);
  const outcome = result.outcomes.find((o) => o.pipeline === `sensor-never-${tag}`)!;
  expect(outcome.error?.type).toBe('InputMissing');
  expect(outcome.error?.message).toMatch(
    new RegExp(
      `^input ${neverUri.replaceAll('/', '\\/')} was not published by its deadline: no _SUCCESS manifest at ${neverUri.replaceAll('/', '\\/')} after [\\d.]+m?s`,
    ),
  );
  expect(failure?.message).toContain(`sensor-never-${tag} failed: InputMissing: input ${neverUri}`);
  expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
});

test('a DAG with a dependency cycle is rejected as bad input', async () => {
  const a = { ...ranking('cycle-a', { dependsOn: ['cycle-b'] }) };
  const b = { ...ranking('cycle-b', { dependsOn: ['cycle-a'] }) };
  const handle = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `daily/cycle-${randomUUID()}`,
    args: [{ runDate: RUN_DATE, branches: [a, b] }],
  });
  await expect(handle.result()).rejects.toMatchObject({
    cause: { type: 'BadInput', message: expect.stringMatching(/dependency cycle/) },
  });
});
