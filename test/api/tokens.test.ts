// Token loading (env or file, file wins, short tokens refused) and the bearer check.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { loadTokens, tokenChecker, TokenConfigError } from '../../api/tokens.js';
import { PIPELINES } from '../../pipelines/index.js';
import { loadConfig } from '../../lib/config.js';
import { tempDir } from '../helpers/temporal.js';

const A = 'token-aaaaaaaaaaaaaaaa';
const B = 'token-bbbbbbbbbbbbbbbb';

test('tokens from the env list or a file (the file wins); none or short ones are refused', () => {
  expect(loadTokens({ DAYBREAK_API_TOKENS: ` ${A}, ${B} ,` })).toEqual([A, B]);
  const file = path.join(tempDir('tokens'), 'tokens');
  fs.writeFileSync(file, `# api tokens\n${B}\n\n`);
  expect(loadTokens({ DAYBREAK_API_TOKENS: A, DAYBREAK_API_TOKENS_FILE: file })).toEqual([B]);
  expect(() => loadTokens({})).toThrow(TokenConfigError);
  expect(() => loadTokens({ DAYBREAK_API_TOKENS: 'short' })).toThrow(/shorter than 16/);
  expect(() => loadTokens({ DAYBREAK_API_TOKENS_FILE: `${file}.missing` })).toThrow(/cannot be read/);
});

test('bearer check: exact token only', () => {
  const ok = tokenChecker([A, B]);
  expect(ok(`Bearer ${A}`)).toBe(true);
  expect(ok(`Bearer ${B}`)).toBe(true);
  for (const bad of [
    undefined,
    '',
    A,
    `Bearer ${A}x`,
    `Bearer ${A.slice(0, -1)}`,
    `bearer ${A}`,
    `Bearer  ${A}`,
    `Basic ${A}`,
  ])
    expect(ok(bad)).toBe(false);
});

test('feature-sync parameters: defaults, unknown views, bad mode, credentials in redisUrl', () => {
  const ctx = { config: loadConfig({ DAYBREAK_DATA_ROOT: '/data' }), runDate: '2025-06-30' };
  const featureSync = {
    buildParams: (raw: Record<string, string>, c: typeof ctx) =>
      PIPELINES.buildParams('feature-sync', raw, c),
  };
  expect(featureSync.buildParams({}, ctx)).toEqual({
    records: '/data/raw/customer_records',
    clusters: undefined,
    clustersFrom: '/data/curated/model-scoring/dt=2025-06-30',
    views: ['customer', 'address'],
    output: '/data/curated/feature-sync/dt=2025-06-30',
    mode: 'full',
    redisUrl: undefined,
    shards: undefined,
  });
  expect(featureSync.buildParams({ clusters: 'none' }, ctx)).toMatchObject({
    clusters: undefined,
    clustersFrom: undefined,
  });
  expect(featureSync.buildParams({ clusters: '/c' }, ctx)).toMatchObject({
    clusters: '/c',
    clustersFrom: undefined,
  });
  expect(() => featureSync.buildParams({ views: 'customer,nope' }, ctx)).toThrow(/unknown view "nope"/);
  expect(() => featureSync.buildParams({ mode: 'partial' }, ctx)).toThrow(/mode must be full or incremental/);
  expect(() => featureSync.buildParams({ redisUrl: 'redis://:secret@host:6379' }, ctx)).toThrow(
    /credentials/,
  );
  expect(featureSync.buildParams({ redisUrl: 'redis://host:6379', mode: 'incremental' }, ctx)).toMatchObject({
    redisUrl: 'redis://host:6379',
    mode: 'incremental',
  });
});
