// Pipeline parameters through their zod schemas: defaults from the declared datasets (data root
// and run date), typed values, and errors that name the parameter.
import { expect, test } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { ParamError, PIPELINES } from '../../pipelines/index.js';

const config = loadConfig({ DAYBREAK_DATA_ROOT: '/data/root' });
const buildFor = (pipeline: string) => (raw: Record<string, string>) =>
  PIPELINES.buildParams(pipeline, raw, { config, runDate: '2025-03-04' });
const build = buildFor('session-ranking');

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

test('identity-join: datasets by default, DS1 columns checked', () => {
  const ij = buildFor('identity-join');
  expect(ij({})).toEqual({
    ds1: '/data/root/raw/visitor_events',
    ds2: '/data/root/raw/liveramp',
    columns: undefined,
    output: '/data/root/curated/identity-join/dt=2025-03-04',
    targetFileMB: 128,
    shards: undefined,
  });
  expect(ij({ columns: ' visitor_id, url ,url' })).toMatchObject({ columns: ['visitor_id', 'url'] });
  expect(() => ij({ columns: 'visitor_id,,url' })).toThrow(
    /parameter columns must be a comma-separated list of DS1 columns; got "visitor_id,,url"/,
  );
  expect(() => ij({ columns: 'visitor_id,sha2' })).toThrow(
    /parameter columns must not name sha2: the join adds those columns/,
  );
});

test('model-scoring: versions, threshold and a challenger that must differ', () => {
  const ms = buildFor('model-scoring');
  expect(ms({})).toMatchObject({
    records: '/data/root/raw/customer_records',
    model: 'v5',
    maxBlockSize: 1000,
  });
  expect(ms({ threshold: '0.8', challenger: 'v1' }) as object).toMatchObject({
    threshold: 0.8,
    challenger: 'v1',
  });
  expect(() => ms({ model: 'latest' })).toThrow(
    /parameter model must be a model version like v1 or v2; got "latest"/,
  );
  expect(() => ms({ threshold: '1.5' })).toThrow(
    /parameter threshold must be a number between 0 and 1; got "1.5"/,
  );
  expect(() => ms({ challenger: 'v5' })).toThrow(/parameter challenger must differ from model \(v5\)/);
});

test('an empty value (a schedule param left blank) means the default', () => {
  expect(build({ top: '', output: '' })).toMatchObject({
    top: 10,
    output: '/data/root/curated/session-ranking/dt=2025-03-04',
  });
});
