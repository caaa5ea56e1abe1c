// session-ranking's parameters: defaults from config and the run date, and errors that name the
// parameter.
import { expect, test } from 'vitest';
import { loadConfig } from '../../../lib/config.js';
import { ParamError } from '../../../lib/pipelines/types.js';
import { sessionRanking } from '../../../lib/pipelines/session-ranking.js';

const config = loadConfig({ DAYBREAK_DATA_ROOT: '/data/root' });
const build = (raw: Record<string, string>) =>
  sessionRanking.buildParams(raw, { config, runDate: '2025-03-04' });

test('defaults come from the data root and the run date', () => {
  expect(build({})).toEqual({
    activity: '/data/root/raw/user_activity',
    profile: '/data/root/raw/user_profile',
    year: undefined,
    top: 10,
    output: '/data/root/curated/session-ranking/dt=2025-03-04',
    shards: undefined,
    expertsStep: 'auto',
  });
});

test('explicit parameters are typed', () => {
  expect(
    build({
      activity: 'gs://b/a/*.parquet',
      profile: '/p',
      year: '2024',
      top: '3',
      output: '/o',
      shards: '8',
      expertsStep: 'never',
    }),
  ).toEqual({
    activity: 'gs://b/a/*.parquet',
    profile: '/p',
    year: 2024,
    top: 3,
    output: '/o',
    shards: 8,
    expertsStep: 'never',
  });
});

test.each([
  [{ year: 'last' }, /parameter year must be a positive whole number; got "last"/],
  [{ year: '99' }, /parameter year must be a four-digit year; got 99/],
  [{ year: '12345' }, /parameter year must be a four-digit year/],
  [{ top: '0' }, /parameter top must be a positive whole number; got "0"/],
  [{ top: '-3' }, /parameter top must be a positive whole number/],
  [{ top: '2.5' }, /parameter top must be a positive whole number/],
  [{ shards: '257' }, /parameter shards must be at most 256 \(one reduce task each\); got 257/],
  [{ shards: 'many' }, /parameter shards must be a positive whole number/],
  [{ expertsStep: 'yes' }, /parameter expertsStep must be one of auto, always, never; got yes/],
  [
    { yaer: '2024' },
    /session-ranking has no parameter "yaer"; known: activity, profile, year, top, output, shards, expertsStep/,
  ],
])('%o is rejected with a message naming the parameter', (raw, message) => {
  expect(() => build(raw)).toThrow(ParamError);
  expect(() => build(raw)).toThrow(message);
});
