// The `daybreak` command as a user runs it (a child process): `run --embedded --json` prints the
// ranking and nothing else on stdout; bad input fails fast, once, naming the file and the column;
// usage and configuration errors give one line and exit code 2.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { sqlString, withDuckDB } from '../../lib/duckdb.js';
import {
  activityStarts,
  startTestWorker,
  tempDir,
  testConfig,
  type TestWorker,
} from '../helpers/temporal.js';
import {
  REPO_ROOT,
  expectedRanking,
  readAllRows,
  writeActivity,
  writeProfile,
} from '../helpers/session-ranking.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function daybreak(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'daybreak.js'), ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        TEMPORAL_CLI: inject('temporalCli'),
        METRICS_PORT: '0',
        TEMPORAL_METRICS_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

let dir: string;
let env: TestWorker;

beforeAll(async () => {
  dir = tempDir('sr-cli');
  env = await startTestWorker(testConfig());
  await generateSessionRanking({
    rows: 40_000,
    users: 3_000,
    seed: 3,
    out: dir,
    year: 2022,
    rowsPerFile: 10_000,
  });
});
afterAll(async () => env?.stop());

test('run --embedded --json prints exactly the ranking JSON on stdout', async () => {
  const expected = expectedRanking(
    await readAllRows(path.join(dir, 'user_activity')),
    await readAllRows(path.join(dir, 'user_profile')),
    { top: 5 },
  );
  const res = await daybreak(
    [
      'run',
      'session-ranking',
      '--embedded',
      '--json',
      '--date',
      '2094-01-01',
      '--param',
      `activity=${path.join(dir, 'user_activity')}`,
      '--param',
      `profile=${path.join(dir, 'user_profile')}`,
      '--param',
      `output=${path.join(dir, 'out-embedded')}`,
      '--param',
      'top=5',
      '--param',
      'shards=2',
    ],
    { DAYBREAK_STATE_DIR: path.join(dir, 'state'), DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch') },
  );
  expect(res.stderr).toContain('embedded');
  expect(res.code).toBe(0);
  const result = JSON.parse(res.stdout) as Record<string, unknown>;
  expect(result.ranking).toEqual(expected.ranking);
  expect(result).toMatchObject({
    year: 2022,
    inputRows: expected.inputRows,
    rejectedRows: expected.rejectedRows,
    shards: 2,
    output: path.join(dir, 'out-embedded'),
  });
});

test('a file without session_end fails fast, once, naming the file and the column', async () => {
  // A good file, then the same rows without session_end.
  const good = path.join(dir, 'bad', 'good.parquet');
  await writeActivity(good, [{ id: 1, begin: '2022-01-01 00:00:00', end: '2022-01-01 01:00:00' }]);
  const noEnd = path.join(dir, 'bad', 'activity', 'no-end.parquet');
  await fs.mkdir(path.dirname(noEnd), { recursive: true });
  await withDuckDB({ scratchDir: path.join(dir, 'scratch-bad') }, (conn) =>
    conn.run(
      `COPY (SELECT id, session_begin FROM read_parquet(${sqlString(good)})) TO ${sqlString(noEnd)} (FORMAT parquet)`,
    ),
  );
  await writeProfile(path.join(dir, 'bad', 'profile.parquet'), [{ id: 1, level: 'expert' }]);

  const res = await daybreak(
    [
      'run',
      'session-ranking',
      '--json',
      '--date',
      '2094-01-02',
      '--param',
      `activity=${path.dirname(noEnd)}`,
      '--param',
      `profile=${path.join(dir, 'bad', 'profile.parquet')}`,
      '--param',
      `output=${path.join(dir, 'out-bad')}`,
    ],
    {
      TEMPORAL_ADDRESS: env.config.TEMPORAL_ADDRESS,
      DAYBREAK_TASK_QUEUE: env.config.DAYBREAK_TASK_QUEUE,
    },
  );
  expect(res.code).toBe(1);
  expect(res.stdout).toBe('');
  expect(res.stderr).toContain('session-ranking/2094-01-02 failed: BadInput:');
  expect(res.stderr).toContain(noEnd);
  expect(res.stderr).toContain('"session_end"');
  expect(res.ms).toBeLessThan(30_000);

  // Non-retryable: the task that read it (a small input: rank-and-publish) ran exactly once.
  const starts = await activityStarts(env.client, 'session-ranking/2094-01-02');
  expect(starts.filter((s) => s.type === 'rankAndPublishSessions')).toEqual([
    expect.objectContaining({ attempt: 1 }),
  ]);
  const history = await env.client.workflow.getHandle('session-ranking/2094-01-02').fetchHistory();
  const failures = (history.events ?? []).flatMap((e) =>
    e.activityTaskFailedEventAttributes ? [e.activityTaskFailedEventAttributes.failure] : [],
  );
  expect(failures).toHaveLength(1);
  expect(failures[0]?.applicationFailureInfo).toMatchObject({ type: 'BadInput', nonRetryable: true });
});

test.each([
  [
    ['run', 'session-ranking', '--param', 'year'],
    /^daybreak: option '--param <key=value>' argument 'year' is invalid\. expected key=value/,
  ],
  [
    ['run', 'session-ranking', '--param', 'top=ten'],
    /^daybreak: parameter top must be a positive whole number; got "ten"$/,
  ],
  [
    ['run', 'session-ranking', '--param', 'colour=red'],
    /^daybreak: session-ranking has no parameter "colour"/,
  ],
  [
    ['run', 'session-ranking', '--date', '2024-02-30'],
    /^daybreak: option '--date <YYYY-MM-DD>' argument '2024-02-30' is invalid\. expected a date YYYY-MM-DD/,
  ],
  [
    ['run', 'no-such-pipeline'],
    /^daybreak: unknown pipeline "no-such-pipeline"; known: [a-z, -]*session-ranking[a-z, -]*$/,
  ],
])('%o: one line on stderr, exit 2', async (args, message) => {
  // An unreachable server: usage errors must be reported before anything is contacted.
  const res = await daybreak(args, { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(res.code).toBe(2);
  expect(res.stdout).toBe('');
  const lines = res.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
});

test.each([[['status']], [['run', 'session-ranking', '--wait']], [['daily', '--date', '2026-01-05']]])(
  '%o with no server at TEMPORAL_ADDRESS: one line naming the address and the refused connect, exit 2',
  async (args) => {
    // Port 1 refuses at once: the message carries the refused connect (the TCP look before the
    // gRPC client), not the SDK's "Failed to connect before the deadline" after 10 s of retries.
    const res = await daybreak(args, { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(res.code).toBe(2);
    expect(res.stderr.trimEnd().split('\n')).toEqual([
      'daybreak: no Temporal server answers at 127.0.0.1:1 (TEMPORAL_ADDRESS; connect ECONNREFUSED 127.0.0.1:1): start the local one with `npm start` (daybreak up), or set TEMPORAL_ADDRESS to yours',
    ]);
  },
);

test('a bad configuration variable: one line naming it, exit 2', async () => {
  const res = await daybreak(['run', 'session-ranking'], { DAYBREAK_DUCKDB_THREADS: 'lots' });
  expect(res.code).toBe(2);
  expect(res.stderr.trimEnd().split('\n')).toEqual([
    'daybreak: Invalid configuration: DAYBREAK_DUCKDB_THREADS must be a positive whole number; got "lots"',
  ]);
});
