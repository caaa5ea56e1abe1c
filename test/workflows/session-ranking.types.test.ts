// Column types beyond the generator's BIGINT/TIMESTAMP: text ids (ties by id ascending are then
// text order), TIMESTAMPTZ sessions (months taken in UTC), and a wrongly typed column, which fails
// the run once with a message naming the file and the column.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { sqlString, withDuckDB } from '../../lib/duckdb.js';
import { rootCauseOf } from '../../lib/contracts/root-cause.js';
import { MONTHS, type MonthRanking } from '../../activities/session-ranking/types.js';
import {
  activityStarts,
  startTestWorker,
  tempDir,
  testConfig,
  type TestWorker,
} from '../helpers/temporal.js';
import {
  runSessionRanking,
  spawnWorker,
  waitForActivityPollers,
  type WorkerProcess,
} from '../helpers/session-ranking.js';

let env: TestWorker;
let dir: string;
const workers: WorkerProcess[] = [];

const months = (filled: Partial<MonthRanking>) =>
  Object.fromEntries(MONTHS.map((m) => [m, filled[m] ?? []])) as MonthRanking;

async function write(file: string, select: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await withDuckDB({ scratchDir: path.join(dir, 'tmp') }, (conn) =>
    conn.run(`SET TimeZone = 'UTC'; COPY (${select}) TO ${sqlString(file)} (FORMAT parquet)`),
  );
}

beforeAll(async () => {
  env = await startTestWorker(testConfig());
  dir = tempDir('sr-types');
  // Text ids: 'u10', 'u9' and 'u100' tie at 3600 s in January; text order is u10 < u100 < u9.
  // TIMESTAMPTZ: 2024-02-29 23:30-05:00 is 2024-03-01 04:30 UTC, so it counts in March.
  await write(
    path.join(dir, 'text/activity.parquet'),
    `SELECT * FROM (VALUES
       ('u9',   TIMESTAMPTZ '2024-01-10 10:00:00+00', TIMESTAMPTZ '2024-01-10 11:00:00+00'),
       ('u10',  TIMESTAMPTZ '2024-01-11 10:00:00+00', TIMESTAMPTZ '2024-01-11 11:00:00+00'),
       ('u100', TIMESTAMPTZ '2024-01-12 10:00:00+00', TIMESTAMPTZ '2024-01-12 11:00:00+00'),
       ('u2',   TIMESTAMPTZ '2024-01-13 10:00:00+00', TIMESTAMPTZ '2024-01-13 10:30:00+00'),
       ('u9',   TIMESTAMPTZ '2024-02-29 23:30:00-05', TIMESTAMPTZ '2024-03-01 00:30:00-05'),
       ('nobody', TIMESTAMPTZ '2024-01-01 00:00:00+00', TIMESTAMPTZ '2024-01-02 00:00:00+00')
     ) t(id, session_begin, session_end)`,
  );
  await write(
    path.join(dir, 'text/profile.parquet'),
    `SELECT * FROM (VALUES ('u9', 'expert'), ('u10', 'expert'), ('u100', 'expert'), ('u2', 'expert'),
                           ('nobody', 'basic')) t(id, level)`,
  );
  // A profile without its level column: bad input, found by the task that reads it.
  await write(path.join(dir, 'bad/profile.parquet'), `SELECT 'u9' AS id, 'expert' AS tier`);
  // session_end stored as text: bad input.
  await write(
    path.join(dir, 'bad/activity.parquet'),
    `SELECT 1::BIGINT AS id, TIMESTAMP '2024-01-01 00:00:00' AS session_begin, '2024-01-01 01:00:00' AS session_end`,
  );
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await env?.stop();
});

test('text ids tie in text order; TIMESTAMPTZ months are UTC months on a worker in New York', async () => {
  // DuckDB takes its TimeZone from the process: in New York the March session would be February.
  const config = testConfig();
  const worker = spawnWorker(config, { TZ: 'America/New_York' });
  workers.push(worker);
  await waitForActivityPollers(env.client, config.DAYBREAK_TASK_QUEUE, 1);
  const result = await runSessionRanking(env.client, config, '2096-01-01', {
    activity: path.join(dir, 'text/activity.parquet'),
    profile: path.join(dir, 'text/profile.parquet'),
    output: path.join(dir, 'out-text'),
    shards: '3',
  });
  expect(result.ranking).toEqual(months({ Jan: ['u10', 'u100', 'u9', 'u2'], Mar: ['u9'] }));
  expect(result.year).toBe(2024);
});

test('a wrongly typed column fails the run once, naming the file and the column', async () => {
  const bad = path.join(dir, 'bad/activity.parquet');
  const failure = await runSessionRanking(env.client, env.config, '2096-01-02', {
    activity: bad,
    profile: path.join(dir, 'text/profile.parquet'),
    output: path.join(dir, 'out-bad'),
  }).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = rootCauseOf(failure);
  expect(cause.type).toBe('BadInput');
  expect(cause.message).toBe(`${bad}: column "session_end" has type VARCHAR; expected timestamp`);
  // A small input: one task read it (rankAndPublishSessions), once.
  const tasks = (await activityStarts(env.client, 'session-ranking/2096-01-02')).filter(
    (s) => s.type === 'rankAndPublishSessions',
  );
  expect(tasks.map((m) => m.attempt)).toEqual([1]);
});

test('a profile without the level column fails the run once, naming the file and the column', async () => {
  const bad = path.join(dir, 'bad/profile.parquet');
  const failure = await runSessionRanking(env.client, env.config, '2096-01-03', {
    activity: path.join(dir, 'text/activity.parquet'),
    profile: bad,
    output: path.join(dir, 'out-bad-profile'),
  }).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const cause = rootCauseOf(failure);
  expect(cause.type).toBe('BadInput');
  expect(cause.message).toBe(`${bad} has no column "level" (columns: id, tier)`);
  const tasks = (await activityStarts(env.client, 'session-ranking/2096-01-03')).filter(
    (s) => s.type === 'rankAndPublishSessions',
  );
  expect(tasks.map((m) => m.attempt)).toEqual([1]);
});
