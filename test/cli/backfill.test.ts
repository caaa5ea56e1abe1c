// `daybreak backfill` against the suite's dev server and a test worker: --dry-run prints the plan
// (the real executable: stdout holds only the JSON), a run waits for the one backfill workflow and
// prints its final state, a schedule as target backfills its pipelines, and bad requests get one
// clear error naming what is wrong.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { Command } from 'commander';
import { backfillCommand } from '../../cli/commands/backfill.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import type { BackfillState } from '../../lib/contracts/backfill.js';
import type { BackfillPlan } from '../../pipelines/backfill.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

const exec = promisify(execFile);
let env: TestWorker;
let root: string;

beforeAll(async () => {
  root = tempDir('cli-backfill');
  env = await startTestWorker(testConfig({ DAYBREAK_DATA_ROOT: root }));
  await generateSessionRanking({ rows: 1_000, users: 100, seed: 4, out: path.join(root, 'raw'), year: 2013 });
});
afterAll(async () => {
  await env?.stop();
});

const cliEnv = () => ({
  TEMPORAL_ADDRESS: env.config.TEMPORAL_ADDRESS,
  DAYBREAK_TASK_QUEUE: env.config.DAYBREAK_TASK_QUEUE,
  DAYBREAK_DATA_ROOT: root,
});

/** The command parsed in this process: stdout, stderr and the exit code captured. */
async function daybreakHere(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  Object.assign(process.env, cliEnv());
  const captured = { stdout: '', stderr: '' };
  const spies = (['stdout', 'stderr'] as const).map((stream) =>
    vi.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
      captured[stream] += String(chunk);
      return true;
    }),
  );
  process.exitCode = 0;
  let code: number | undefined;
  try {
    await new Command('daybreak')
      .exitOverride()
      .configureOutput({ writeErr: (s) => (captured.stderr += s), writeOut: (s) => (captured.stdout += s) })
      .addCommand(backfillCommand().exitOverride())
      .parseAsync(args, { from: 'user' });
  } catch (err) {
    code = (err as { exitCode?: number }).exitCode ?? 1;
    if (!('exitCode' in (err as object))) captured.stderr += String((err as Error).message);
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  code ??= Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, ...captured };
}

test('--dry-run --json prints the plan on stdout and starts nothing', async () => {
  const { stdout } = await exec(
    'node',
    [
      'bin/daybreak.js',
      'backfill',
      'session-ranking',
      '--from',
      '2013-04-01',
      '--to',
      '2013-04-03',
      '--dry-run',
      '--json',
    ],
    { env: { ...process.env, ...cliEnv() } },
  );
  const plan = JSON.parse(stdout) as BackfillPlan;
  expect(plan.items.map((i) => [i.pipeline, i.runDate])).toEqual([
    ['session-ranking', '2013-04-01'],
    ['session-ranking', '2013-04-02'],
    ['session-ranking', '2013-04-03'],
  ]);
  const started = await env.client.workflow.count(
    `WorkflowType = 'backfill' AND TaskQueue = '${env.config.DAYBREAK_TASK_QUEUE}'`,
  );
  expect(started.count).toBe(0);

  const table = await daybreakHere(
    'backfill',
    'daily',
    '--from',
    '2013-04-01',
    '--to',
    '2013-04-01',
    '--dry-run',
  );
  expect(table.code).toBe(0);
  // The shipped daily schedule runs every pipeline: each is planned for the date, missing.
  for (const name of ['session-ranking', 'identity-join', 'model-scoring', 'feature-sync'])
    expect(table.stdout).toMatch(new RegExp(`${name}\\s+2013-04-01\\s+missing: no published output`));
});

test('a run waits for the backfill and prints its final state; then nothing is missing', async () => {
  const run = await daybreakHere(
    'backfill',
    'session-ranking',
    '--from',
    '2013-05-01',
    '--to',
    '2013-05-02',
    '--max-parallel',
    '2',
    '--json',
  );
  expect(run.stderr).toMatch(
    /started backfill\/session-ranking\/2013-05-01\.\.2013-05-02\/\S+: 2 runs, 2 at a time/,
  );
  expect(run.code).toBe(0);
  const state = JSON.parse(run.stdout) as BackfillState;
  expect(state.items.map((i) => [i.workflowId, i.state])).toEqual([
    ['session-ranking/2013-05-01', 'completed'],
    ['session-ranking/2013-05-02', 'completed'],
  ]);

  const again = await daybreakHere(
    'backfill',
    'session-ranking',
    '--from',
    '2013-05-01',
    '--to',
    '2013-05-02',
  );
  expect(again.code).toBe(0);
  expect(again.stderr).toContain('nothing to backfill for session-ranking 2013-05-01..2013-05-02 (missing)');
});

test('bad requests name what is wrong', async () => {
  const mode = await daybreakHere(
    'backfill',
    'session-ranking',
    '--from',
    '2013-01-01',
    '--to',
    '2013-01-02',
    '--reprocess',
    'some',
  );
  expect(mode.code).not.toBe(0);
  expect(mode.stderr).toContain('expected one of missing, failed, stale, all');

  const order = await daybreakHere(
    'backfill',
    'session-ranking',
    '--from',
    '2013-01-05',
    '--to',
    '2013-01-02',
    '--dry-run',
  );
  expect(order.code).not.toBe(0);
  expect(order.stderr).toContain('--from 2013-01-05 is after --to 2013-01-02');

  const target = await daybreakHere(
    'backfill',
    'nothing-like-it',
    '--from',
    '2013-01-01',
    '--to',
    '2013-01-02',
  );
  expect(target.code).not.toBe(0);
  expect(target.stderr).toMatch(
    /nothing-like-it is neither a pipeline \(session-ranking, .*\) nor a schedule \(daily\)/,
  );

  const parallel = await daybreakHere(
    'backfill',
    'session-ranking',
    '--from',
    '2013-01-01',
    '--to',
    '2013-01-02',
    '--max-parallel',
    '0',
  );
  expect(parallel.stderr).toContain('expected a whole number from 1 to 64');
});
