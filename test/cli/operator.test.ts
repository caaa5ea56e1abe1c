// The operator CLI against the suite's dev server and a test worker: `run --json` (the real
// executable) keeps stdout to the result and a failure names its cause; `status` lists runs by the
// Pipeline search attribute, `daily --pipelines` runs part of the DAG, and `schedules`
// apply/list/pause/delete work on the shipped definitions.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { Command } from 'commander';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { dailyCommand } from '../../cli/commands/daily.js';
import { schedulesCommand } from '../../cli/commands/schedules.js';
import { statusCommand, type RunStatus } from '../../cli/commands/status.js';
import type { DailyResult } from '../../lib/contracts/daily.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

const exec = promisify(execFile);
let env: TestWorker;
let root: string;
const idPrefix = `daybreak-cli-${randomUUID().slice(0, 8)}/`;

beforeAll(async () => {
  root = tempDir('cli');
  env = await startTestWorker(testConfig({ DAYBREAK_DATA_ROOT: root }));
  await generateSessionRanking({ rows: 2_000, users: 200, seed: 3, out: path.join(root, 'raw'), year: 2017 });
});
afterAll(async () => {
  await env.client.schedule
    .getHandle(`${idPrefix}daily`)
    .delete()
    .catch(() => undefined);
  await env?.stop();
});

/** The real `daybreak` executable in a child process (what a user runs). */
async function daybreak(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec('node', ['bin/daybreak.js', ...args], {
      env: { ...process.env, ...cliEnv() },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function cliEnv() {
  return {
    TEMPORAL_ADDRESS: env.config.TEMPORAL_ADDRESS,
    DAYBREAK_TASK_QUEUE: env.config.DAYBREAK_TASK_QUEUE,
    DAYBREAK_DATA_ROOT: root,
  };
}

/**
 * The same commands parsed in this process (a child process costs seconds on a loaded machine):
 * stdout, stderr and the exit code are captured.
 */
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
  try {
    const program = new Command('daybreak')
      .exitOverride()
      .addCommand(schedulesCommand())
      .addCommand(dailyCommand())
      .addCommand(statusCommand());
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spies.forEach((s) => s.mockRestore());
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, ...captured };
}

test('run --json, a failing run, status and daily --pipelines', async () => {
  const ok = await daybreak('run', 'session-ranking', '--date', '2017-02-01', '--json');
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout).inputRows).toBe(2_000); // stdout holds the result and nothing else

  const missing = path.join(root, 'nowhere');
  const bad = await daybreak(
    'run',
    'session-ranking',
    '--date',
    '2017-02-02',
    '--json',
    '--param',
    `activity=${missing}`,
  );
  expect(bad.code).toBe(1);
  expect(bad.stdout).toBe('');
  expect(bad.stderr).toContain(`failed: MissingInput: no user_activity Parquet files found at ${missing}`);

  let rows: RunStatus[] = [];
  for (let i = 0; i < 40; i++) {
    const status = await daybreakHere('status', 'session-ranking', '--days', '1', '--json');
    expect(status.code).toBe(0);
    rows = (JSON.parse(status.stdout) as RunStatus[]).filter((r) => r.workflowId.includes('/2017-02-0'));
    if (rows.length === 2 && rows.every((r) => r.state !== 'RUNNING')) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  expect(rows.map((r) => [r.workflowId, r.logicalDate, r.state, r.attempts])).toEqual([
    ['session-ranking/2017-02-02', '2017-02-02', 'FAILED', 1],
    ['session-ranking/2017-02-01', '2017-02-01', 'COMPLETED', 1],
  ]);
  expect(rows[0]!.error).toBe(`MissingInput: no user_activity Parquet files found at ${missing}`);
  expect(rows[1]!.url).toBe(
    `http://127.0.0.1:8233/namespaces/default/workflows/session-ranking%2F2017-02-01/${rows[1]!.runId}/history`,
  );
  expect(rows[1]!.durationMs).toBeGreaterThan(0);

  const table = await daybreakHere('status', 'session-ranking', '--days', '1');
  expect(table.stdout).toMatch(
    /session-ranking\s+2017-02-02\s+failed\s+\S+\s+1\s+http\S+\s+MissingInput: no user_activity/,
  );

  // Re-running the DAG for 2017-02-01: session-ranking completed and published, so it is left alone.
  const daily = await daybreakHere(
    'daily',
    '--date',
    '2017-02-01',
    '--pipelines',
    'session-ranking',
    '--json',
  );
  expect(daily.code).toBe(0);
  const result = JSON.parse(daily.stdout) as DailyResult;
  expect(result.outcomes.map((o) => [o.workflowId, o.status])).toEqual([
    ['session-ranking/2017-02-01', 'up-to-date'],
  ]);
  expect(daily.stderr).toMatch(/session-ranking\s+session-ranking\/2017-02-01\s+up-to-date/);
  const all = await daybreak(
    'daily',
    '--date',
    '2017-02-01',
    '--pipelines',
    'session-ranking',
    '--rerun',
    'all',
    '--json',
  );
  expect((JSON.parse(all.stdout) as DailyResult).outcomes[0]!.status).toBe('completed');
});

test('schedules apply --dry-run, apply, list, pause, delete', async () => {
  const p = ['--id-prefix', idPrefix];
  const dry = await daybreakHere('schedules', ...p, 'apply', '--dry-run');
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain(`+ create    ${idPrefix}daily`);
  expect(dry.stdout).toContain(
    'dry run: 1 to create, 0 to update, 0 to delete, 0 unchanged; nothing changed',
  );

  expect((await daybreakHere('schedules', ...p, 'apply')).stdout).toContain('applied: 1 to create');
  expect((await daybreakHere('schedules', ...p, 'apply')).stdout).toContain(`= unchanged ${idPrefix}daily`);
  const list = await daybreakHere('schedules', ...p, 'list');
  expect(list.stdout).toMatch(/daily\s+active\s+\d{4}-\d{2}-\d{2}T02:0\d/);

  expect((await daybreakHere('schedules', ...p, 'pause', 'daily', '--note', 'disk full')).code).toBe(0);
  expect((await daybreakHere('schedules', ...p, 'list')).stdout).toMatch(/daily\s+paused \(disk full\)/);
  const json = JSON.parse((await daybreakHere('schedules', ...p, 'list', '--json')).stdout);
  expect(json[0]).toMatchObject({ name: 'daily', paused: true, note: 'disk full', overlap: 'BUFFER_ALL' });

  const unknown = await daybreakHere('schedules', ...p, 'pause', 'nope');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toBe(
    `daybreak: no schedule "nope" on the server (id ${idPrefix}nope); run "daybreak schedules apply"\n`,
  );

  expect((await daybreakHere('schedules', ...p, 'delete', 'daily')).stdout).toContain('deleted daily');
  expect((await daybreakHere('schedules', ...p, 'apply', '--dry-run')).stdout).toContain(
    `+ create    ${idPrefix}daily`,
  );
});
