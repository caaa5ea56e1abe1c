// The one shard-count rule: automatic counts by size within [1, cap], never past MAX_SHARDS; an
// explicit count past it is refused by every pipeline's schema.
import { expect, test } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { autoShards, MAX_SHARDS } from '../../lib/shards.js';
import { PIPELINES } from '../../pipelines/index.js';

test('automatic shard counts: one per unit of input, at least one, at most the cap and MAX_SHARDS', () => {
  expect(autoShards(0, 512)).toBe(1);
  expect(autoShards(512, 512)).toBe(1);
  expect(autoShards(513, 512)).toBe(2);
  expect(autoShards(100 * 512, 512, 64)).toBe(64);
  expect(autoShards(10_000 * 512, 512)).toBe(MAX_SHARDS);
  expect(autoShards(10_000 * 512, 512, 1_000)).toBe(MAX_SHARDS);
});

test('an explicit shards parameter over MAX_SHARDS is refused by every pipeline', () => {
  const ctx = { config: loadConfig({ DAYBREAK_DATA_ROOT: '/d' }), runDate: '2025-01-01' };
  for (const name of PIPELINES.names()) {
    expect(() => PIPELINES.buildParams(name, { shards: String(MAX_SHARDS + 1) }, ctx), name).toThrow(
      new RegExp(`parameter shards must be at most ${MAX_SHARDS} \\(`),
    );
    expect(PIPELINES.buildParams(name, { shards: String(MAX_SHARDS) }, ctx), name).toMatchObject({
      shards: MAX_SHARDS,
    });
  }
});
