// Stable buckets: both hashes spread ids evenly over [0, B); the first one (md5-u128) stays the
// exact expression runs planned before the hash was recorded used, so they finish consistently.
import path from 'node:path';
import { expect, test } from 'vitest';
import { bucketSql, plannedBucketHash } from '../../lib/buckets.js';
import { withDuckDB } from '../../lib/duckdb.js';
import { tempDir } from '../helpers/temporal.js';

test('md5-u128 is the original expression; unrecorded plans map to it', () => {
  expect(bucketSql('x', 4, 'md5-u128')).toBe('(md5_number(x) % 4)::INTEGER');
  expect(plannedBucketHash(undefined)).toBe('md5-u128');
  expect(plannedBucketHash('md5-u64')).toBe('md5-u64');
});

test('both hashes spread 100,000 ids evenly over 7 buckets, and assign them differently', async () => {
  await withDuckDB({ scratchDir: path.join(tempDir('buckets'), 'db') }, async (conn) => {
    const sql = `SELECT ${bucketSql("'v' || i", 7, 'md5-u64')} AS u64, ${bucketSql("'v' || i", 7, 'md5-u128')} AS u128
                 FROM range(100000) t(i)`;
    const counts = async (col: string) =>
      (await conn.runAndReadAll(`SELECT ${col} AS b, count(*) AS n FROM (${sql}) GROUP BY ALL ORDER BY b`))
        .getRowObjects()
        .map((r) => [Number(r.b), Number(r.n)]);
    for (const col of ['u64', 'u128']) {
      const byBucket = await counts(col);
      expect(byBucket.map(([b]) => b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      for (const [, n] of byBucket) expect(Math.abs(n! - 100000 / 7)).toBeLessThan(600);
    }
    const same = (
      await conn.runAndReadAll(`SELECT count(*) FILTER (WHERE u64 = u128) AS n FROM (${sql})`)
    ).getRowObjects()[0]!.n;
    expect(Number(same)).toBeLessThan(20000);
  });
});
