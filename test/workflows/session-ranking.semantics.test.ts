// The ranking rules of session-ranking (DESIGN 3.2) on tiny hand-made Parquet files, run through
// the real worker and dev server. Every expected ranking below is worked out by hand in the
// comments next to the rows.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MONTHS, type MonthRanking } from '../../activities/session-ranking/types.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';
import {
  readPublished,
  runSessionRanking,
  writeActivity,
  writeProfile,
  type SessionRow,
} from '../helpers/session-ranking.js';

let env: TestWorker;
let dir: string;

/** A 12-month ranking with only the given months filled. */
function months(filled: Partial<MonthRanking>): MonthRanking {
  return Object.fromEntries(MONTHS.map((m) => [m, filled[m] ?? []])) as MonthRanking;
}

const s = (id: number | null, begin: string | null, end: string | null): SessionRow => ({ id, begin, end });

// Profiles: 1-5 expert; 6 basic AND expert (expert); 7 basic AND enhanced (not expert); 8 basic;
// 9 enhanced; 10 expert twice (must not double its time); 99 has no profile at all.
const PROFILE = [
  ...[1, 2, 3, 4, 5].map((id) => ({ id, level: 'expert' })),
  { id: 6, level: 'basic' },
  { id: 6, level: 'expert' },
  { id: 7, level: 'basic' },
  { id: 7, level: 'enhanced' },
  { id: 8, level: 'basic' },
  { id: 9, level: 'enhanced' },
  { id: 10, level: 'expert' },
  { id: 10, level: 'expert' },
];

// Two files; user 3's January sessions are split over both.
const FILE_A: SessionRow[] = [
  s(3, '2024-01-31 23:30:00', '2024-02-01 00:30:00'), // 3600 s, crosses into Feb: counts in Jan
  s(2, '2024-01-05 00:00:00', '2024-01-05 01:00:00'), // 3600 s
  s(10, '2024-01-15 00:00:00', '2024-01-15 01:00:00'), // 3600 s: ties with 2, id 2 < 10 wins
  s(1, '2024-01-10 10:00:00', '2024-01-10 10:30:00'), // 1800 s
  s(8, '2024-01-02 00:00:00', '2024-01-03 00:00:00'), // basic: ignored
  s(99, '2024-01-02 00:00:00', '2024-01-03 00:00:00'), // no profile: ignored
  s(7, '2024-01-02 00:00:00', '2024-01-03 00:00:00'), // basic + enhanced: ignored
  s(9, '2024-01-02 00:00:00', '2024-01-03 00:00:00'), // enhanced: ignored
  s(4, '2024-01-20 00:00:00', null), // null end: rejected
  s(4, '2024-01-20 01:00:00', '2024-01-20 00:00:00'), // negative: rejected
  s(4, null, '2024-04-01 00:00:00'), // null begin: rejected
  s(null, '2024-04-01 00:00:00', '2024-04-01 01:00:00'), // null id: read, ignored, not rejected
];
const FILE_B: SessionRow[] = [
  s(3, '2024-01-01 00:00:00', '2024-01-01 00:30:00'), // +1800 s: user 3 Jan = 5400 s
  s(6, '2024-01-20 00:00:00', '2024-01-20 00:10:00'), // 600 s (basic + expert rows)
  s(4, '2024-01-21 00:00:00', '2024-01-21 00:01:00'), // 60 s
  s(5, '2024-01-09 00:00:00', '2024-01-09 00:00:00'), // 0 s: valid, ranked last
  s(5, '2024-02-10 00:00:00', '2024-02-10 00:30:00'), // Feb: only user 5
  // March, sub-second: 1.1 s for user 1 and 1.5 s for user 2 (whole-second boundary counting
  // would give 2 s and 1 s), and a 0.2 s negative session of user 3 (rejected).
  s(1, '2024-03-01 00:00:00.900', '2024-03-01 00:00:02.000'),
  s(2, '2024-03-01 00:00:01.000', '2024-03-01 00:00:02.500'),
  s(3, '2024-03-01 00:00:01.200', '2024-03-01 00:00:01.000'),
  s(1, '2024-12-31 23:00:00', '2025-01-01 00:30:00'), // Dec 2024, 5400 s
  s(2, '2023-06-01 00:00:00', '2023-06-01 01:00:00'), // another year: ignored
];

const EXPECTED_2024 = months({
  Jan: ['3', '2', '10', '1', '6', '4', '5'],
  Feb: ['5'],
  Mar: ['2', '1'],
  Dec: ['1'],
});

beforeAll(async () => {
  env = await startTestWorker(testConfig());
  dir = tempDir('sr-semantics');
  await writeProfile(path.join(dir, 'rules/profile/part-0.parquet'), PROFILE);
  await writeActivity(path.join(dir, 'rules/activity/part-a.parquet'), FILE_A);
  await writeActivity(path.join(dir, 'rules/activity/part-b.parquet'), FILE_B);

  // Year and top: 2023 Jan has experts 1..12 with 100*id seconds; 2022 Jan has 1 (500 s) and
  // 2 (100 s); a negative 2024 session must not make 2024 "the data's year".
  const years: SessionRow[] = [];
  for (let id = 1; id <= 12; id++) {
    years.push(
      s(
        id,
        '2023-01-15 00:00:00',
        `2023-01-15 00:${String(Math.floor((100 * id) / 60)).padStart(2, '0')}:${String((100 * id) % 60).padStart(2, '0')}`,
      ),
    );
  }
  years.push(s(1, '2022-01-03 00:00:00', '2022-01-03 00:08:20'));
  years.push(s(2, '2022-01-03 00:00:00', '2022-01-03 00:01:40'));
  years.push(s(3, '2024-05-01 00:00:00', '2024-04-30 00:00:00'));
  await writeActivity(path.join(dir, 'years/activity.parquet'), years);
  await writeProfile(
    path.join(dir, 'years/profile.parquet'),
    Array.from({ length: 12 }, (_, i) => ({ id: i + 1, level: 'expert' })),
  );
});
afterAll(async () => env?.stop());

const rules = (extra: Record<string, string> = {}) => ({
  activity: path.join(dir, 'rules/activity'),
  profile: path.join(dir, 'rules/profile'),
  ...extra,
});

describe('ranking rules', () => {
  test('ties, month of session_begin, rejected rows, experts only, empty months', async () => {
    const output = path.join(dir, 'out-rules');
    const result = await runSessionRanking(env.client, env.config, '2091-01-01', rules({ output }));
    expect(result.ranking).toEqual(EXPECTED_2024);
    expect(Object.keys(result.ranking)).toEqual([...MONTHS]);
    expect(result.year).toBe(2024);
    expect(result.inputRows).toBe(FILE_A.length + FILE_B.length);
    expect(result.rejectedRows).toBe(4);

    const published = await readPublished(output);
    expect(published.json).toEqual(EXPECTED_2024);
    const jan = published.rows.filter((r) => r.month === 1);
    expect(jan.map((r) => [r.rank, r.user_id, r.total_seconds])).toEqual([
      [1, '3', 5400],
      [2, '2', 3600],
      [3, '10', 3600],
      [4, '1', 1800],
      [5, '6', 600],
      [6, '4', 60],
      [7, '5', 0],
    ]);
    const mar = published.rows.filter((r) => r.month === 3);
    expect(mar.map((r) => [r.user_id, r.total_seconds])).toEqual([
      ['2', 1.5],
      ['1', 1.1],
    ]);
    expect(new Set(published.rows.map((r) => r.year))).toEqual(new Set([2024]));
  });

  test('the result does not depend on the number of shards', async () => {
    for (const [i, shards] of ['1', '3', '7'].entries()) {
      const result = await runSessionRanking(
        env.client,
        env.config,
        `2091-02-0${i + 1}`,
        rules({ shards, output: path.join(dir, `out-shards-${shards}`) }),
      );
      expect(result.shards).toBe(Number(shards));
      expect(result.ranking).toEqual(EXPECTED_2024);
      expect(result.rejectedRows).toBe(4);
    }
  });

  test('top limits each month', async () => {
    const result = await runSessionRanking(
      env.client,
      env.config,
      '2091-03-01',
      rules({ top: '2', output: path.join(dir, 'out-top2') }),
    );
    expect(result.ranking).toEqual(months({ Jan: ['3', '2'], Feb: ['5'], Mar: ['2', '1'], Dec: ['1'] }));
  });
});

describe('year and top parameters', () => {
  const years = (extra: Record<string, string>) => ({
    activity: path.join(dir, 'years/activity.parquet'),
    profile: path.join(dir, 'years/profile.parquet'),
    ...extra,
  });

  test('default year is the latest year of a valid session; default top is 10', async () => {
    const result = await runSessionRanking(
      env.client,
      env.config,
      '2091-04-01',
      years({ output: path.join(dir, 'out-y-default') }),
    );
    expect(result.year).toBe(2023);
    expect(result.ranking).toEqual(months({ Jan: ['12', '11', '10', '9', '8', '7', '6', '5', '4', '3'] }));
    expect(result.rejectedRows).toBe(1);
  });

  test('year picks another year; top=3', async () => {
    const y2022 = await runSessionRanking(
      env.client,
      env.config,
      '2091-04-02',
      years({ year: '2022', output: path.join(dir, 'out-y2022') }),
    );
    expect(y2022.year).toBe(2022);
    expect(y2022.ranking).toEqual(months({ Jan: ['1', '2'] }));
    const top3 = await runSessionRanking(
      env.client,
      env.config,
      '2091-04-03',
      years({ year: '2023', top: '3', output: path.join(dir, 'out-top3') }),
    );
    expect(top3.ranking).toEqual(months({ Jan: ['12', '11', '10'] }));
    expect(top3.inputRows).toBe(15);
  });

  test('a year without sessions gives 12 empty months', async () => {
    const output = path.join(dir, 'out-y2021');
    const result = await runSessionRanking(
      env.client,
      env.config,
      '2091-04-04',
      years({ year: '2021', output }),
    );
    expect(result.ranking).toEqual(months({}));
    const published = await readPublished(output);
    expect(published.json).toEqual(months({}));
    expect(published.rows).toEqual([]);
  });
});
