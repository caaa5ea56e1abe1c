// session-ranking on generated data against an independent computation in plain TypeScript over
// the same rows (one shard, and a small input's single task), and the sharded run (4 buckets, two separate worker processes) against the
// single-shard run. The published JSON and Parquet must say what the workflow returned.
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { logicalName } from '../../lib/storage/publish.js';
import { MONTHS, type SessionRankingResult } from '../../activities/session-ranking/types.js';
import {
  activityStarts,
  startTestWorker,
  tempDir,
  testConfig,
  type TestWorker,
} from '../helpers/temporal.js';
import {
  expectedRanking,
  readAllRows,
  readPublished,
  runSessionRanking,
  spawnWorker,
  waitForActivityPollers,
  type Expected,
  type WorkerProcess,
} from '../helpers/session-ranking.js';

const ROWS = 300_000;
let inProcess: TestWorker;
let dir: string;
let expected: Expected;
let single: SessionRankingResult;
const processes: WorkerProcess[] = [];

beforeAll(async () => {
  inProcess = await startTestWorker(testConfig());
  dir = tempDir('sr-integration');
  // 6 files of 50k rows: every user's sessions are spread over several files.
  await generateSessionRanking({
    rows: ROWS,
    users: 20_000,
    seed: 11,
    out: dir,
    year: 2024,
    rowsPerFile: 50_000,
  });
  const activity = await readAllRows(path.join(dir, 'user_activity'));
  const profile = await readAllRows(path.join(dir, 'user_profile'));
  expected = expectedRanking(activity, profile);
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await inProcess?.stop();
});

const params = (output: string, extra: Record<string, string> = {}) => ({
  activity: path.join(dir, 'user_activity'),
  profile: path.join(dir, 'user_profile'),
  output,
  ...extra,
});

/** ranking.parquet's rows: per month the expected ids, ranks 1..N, totals and the run's year. */
function expectRankingRows(rows: Awaited<ReturnType<typeof readPublished>>['rows']): void {
  MONTHS.forEach((name, i) => {
    const month = rows.filter((r) => r.month === i + 1);
    expect(month.map((r) => r.user_id)).toEqual(expected.ranking[name]);
    expect(month.map((r) => r.rank)).toEqual(month.map((_, k) => k + 1));
    expect(month.map((r) => r.total_seconds)).toEqual(expected.totals[name]!.map((us) => Number(us) / 1e6));
    expect(new Set(month.map((r) => r.year))).toEqual(new Set([expected.year]));
  });
}

test('the ranking equals an independent computation over the same rows', async () => {
  expect(expected.inputRows).toBe(ROWS);
  // The data exercises the rules: rejected rows exist and every month is full.
  expect(expected.rejectedRows).toBeGreaterThan(1000);
  for (const m of MONTHS) expect(expected.ranking[m]).toHaveLength(10);

  const output = path.join(dir, 'out-single');
  single = await runSessionRanking(
    inProcess.client,
    inProcess.config,
    '2092-01-01',
    params(output, { shards: '1' }),
  );
  expect(single.shards).toBe(1);
  expect(single.ranking).toEqual(expected.ranking);
  expect(single.year).toBe(expected.year);
  expect(single.inputRows).toBe(expected.inputRows);
  expect(single.rejectedRows).toBe(expected.rejectedRows);

  // ranking.json is the result's month map; ranking.parquet has the same ids, ranks and totals.
  const published = await readPublished(output);
  expect(published.json).toEqual(single.ranking);
  expectRankingRows(published.rows);
  const manifest = await readManifest(output);
  expect(manifest?.files.map((f) => [logicalName(f.name, manifest), f.rows])).toEqual([
    ['ranking.json', 12],
    ['ranking.parquet', published.rows.length],
  ]);
  expect(manifest?.report).toMatchObject({
    inputRows: ROWS,
    rejectedRows: expected.rejectedRows,
    shards: 1,
    expertsStep: false,
  });
  // A small profile: the maps read it themselves, no experts step.
  const types = (await activityStarts(inProcess.client, 'session-ranking/2092-01-01')).map((s) => s.type);
  expect(types).not.toContain('extractSessionExperts');
});

test('a small input with no shards asked for is one rank-and-publish task, with the same answer and files', async () => {
  const output = path.join(dir, 'out-single-task');
  const result = await runSessionRanking(inProcess.client, inProcess.config, '2092-01-02', params(output));
  expect(result.ranking).toEqual(expected.ranking);
  expect([result.year, result.inputRows, result.rejectedRows]).toEqual([
    expected.year,
    expected.inputRows,
    expected.rejectedRows,
  ]);
  const types = (await activityStarts(inProcess.client, 'session-ranking/2092-01-02')).map((s) => s.type);
  // Plan and resolve run as local activities, in the run's own workflow tasks.
  expect(types).toEqual([
    'noteRunStarted',
    'planSessionRanking',
    'rankAndPublishSessions',
    'resolveRunAlerts',
  ]);
  const published = await readPublished(output);
  expect(published.json).toEqual(expected.ranking);
  expectRankingRows(published.rows);
  expect((await readManifest(output))?.report).toMatchObject({
    inputRows: ROWS,
    rejectedRows: expected.rejectedRows,
    year: expected.year,
    singleTask: true,
    shards: 1,
  });
});

test('with expertsStep=always the expert ids get their own step, and the answer is the same', async () => {
  const output = path.join(dir, 'out-experts-step');
  const result = await runSessionRanking(
    inProcess.client,
    inProcess.config,
    '2092-01-03',
    params(output, { shards: '2', expertsStep: 'always' }),
  );
  expect(result.ranking).toEqual(expected.ranking);
  expect([result.inputRows, result.rejectedRows]).toEqual([expected.inputRows, expected.rejectedRows]);
  const types = (await activityStarts(inProcess.client, 'session-ranking/2092-01-03')).map((s) => s.type);
  expect(types.filter((t) => t === 'extractSessionExperts')).toHaveLength(1);
  expect((await readManifest(output))?.report).toMatchObject({ expertsStep: true });
});

test('4 shards on two worker processes give the single-shard answer', async () => {
  const config = testConfig();
  processes.push(spawnWorker(config, { DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1' }));
  processes.push(spawnWorker(config, { DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1' }));
  const pollers = await waitForActivityPollers(inProcess.client, config.DAYBREAK_TASK_QUEUE, 2);
  expect(pollers.every((p) => !p.includes(`:${process.pid}`))).toBe(true);

  const output = path.join(dir, 'out-sharded');
  const sharded = await runSessionRanking(
    inProcess.client,
    config,
    '2092-01-02',
    params(output, { shards: '4' }),
  );
  expect(sharded.shards).toBe(4);
  expect(sharded.ranking).toEqual(single.ranking);
  expect(sharded.ranking).toEqual(expected.ranking);
  expect([sharded.inputRows, sharded.rejectedRows, sharded.year]).toEqual([
    single.inputRows,
    single.rejectedRows,
    single.year,
  ]);
  expect((await readPublished(output)).json).toEqual(expected.ranking);

  // Both processes did shard work: 4 reduces and the map groups were spread over them.
  const starts = await activityStarts(inProcess.client, 'session-ranking/2092-01-02');
  const reduces = starts.filter((s) => s.type === 'reduceSessionBucket');
  expect(reduces).toHaveLength(4);
  const shardWorkers = new Set(
    starts
      .filter((s) => s.type === 'reduceSessionBucket' || s.type === 'mapSessionFiles')
      .map((s) => s.identity),
  );
  expect(shardWorkers).toEqual(new Set(pollers));
});
