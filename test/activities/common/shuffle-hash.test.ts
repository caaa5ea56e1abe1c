// The shuffle's bucket hash: new plans take the cheaper duckdb-v1 when this DuckDB computes it as
// pinned, and a map on a DuckDB that hashes differently refuses to write (retryably, naming it).
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { expect, test } from 'vitest';
import { requirePinnedHash, shufflePlanHash } from '../../../activities/common/shuffle.js';
import { DUCKDB_V1_PROBES } from '../../../lib/buckets.js';
import { withDuckDB } from '../../../lib/duckdb.js';
import { tempDir } from '../../helpers/temporal.js';

test('plans record duckdb-v1; a map refuses a hash its DuckDB computes differently', async () => {
  expect(await shufflePlanHash()).toBe('duckdb-v1');
  await withDuckDB({ scratchDir: path.join(tempDir('shuffle-hash'), 'db') }, async (conn) => {
    await expect(requirePinnedHash(conn, 'duckdb-v1', 'ds1 map 1/1')).resolves.toBeUndefined();
    await expect(requirePinnedHash(conn, 'md5-u64', 'ds1 map 1/1')).resolves.toBeUndefined();
    const otherDuckDB = DUCKDB_V1_PROBES.map(([t, h]) => [t, h ^ 1n] as const);
    const refused = await requirePinnedHash(conn, 'duckdb-v1', 'ds1 map 1/1', otherDuckDB).catch((e) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'BucketHashMismatch', nonRetryable: false });
    expect(refused.message).toMatch(
      /^ds1 map 1\/1: this worker's DuckDB v\d+\.\d+\.\d+ computes .*'duckdb-v1'/,
    );
  });
});
