// Stable buckets: every hash spreads ids evenly over [0, B); the first one (md5-u128) stays the
// exact expression runs planned before the hash was recorded used, so they finish consistently;
// duckdb-v1 is DuckDB's hash() as pinned (this DuckDB must reproduce it) and, salted, leaves a
// bucket's keys spread over the low bits DuckDB's own hash tables index by.
import path from 'node:path';
import { expect, test } from 'vitest';
import { bucketHashCheckSql, bucketSql, DUCKDB_V1_PROBES, plannedBucketHash } from '../../lib/buckets.js';
import { withDuckDB } from '../../lib/duckdb.js';
import { tempDir } from '../helpers/temporal.js';

test('md5-u128 is the original expression; unrecorded plans map to it', () => {
  expect(bucketSql('x', 4, 'md5-u128')).toBe('(md5_number(x) % 4)::INTEGER');
  expect(plannedBucketHash(undefined)).toBe('md5-u128');
  expect(plannedBucketHash('md5-u64')).toBe('md5-u64');
});

test('every hash spreads 100,000 ids evenly over 7 buckets, and assigns them differently', async () => {
  await withDuckDB({ scratchDir: path.join(tempDir('buckets'), 'db') }, async (conn) => {
    const sql = `SELECT ${bucketSql("'v' || i", 7, 'md5-u64')} AS u64, ${bucketSql("'v' || i", 7, 'md5-u128')} AS u128,
                        ${bucketSql("'v' || i", 7, 'duckdb-v1')} AS dv1
                 FROM range(100000) t(i)`;
    const counts = async (col: string) =>
      (await conn.runAndReadAll(`SELECT ${col} AS b, count(*) AS n FROM (${sql}) GROUP BY ALL ORDER BY b`))
        .getRowObjects()
        .map((r) => [Number(r.b), Number(r.n)]);
    for (const col of ['u64', 'u128', 'dv1']) {
      const byBucket = await counts(col);
      expect(byBucket.map(([b]) => b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      for (const [, n] of byBucket) expect(Math.abs(n! - 100000 / 7)).toBeLessThan(600);
    }
    const same = (
      await conn.runAndReadAll(`SELECT count(*) FILTER (WHERE u64 = u128) AS n FROM (${sql})`)
    ).getRowObjects()[0]!.n;
    expect(Number(same)).toBeLessThan(20000);
    const sameAsMd5 = (
      await conn.runAndReadAll(`SELECT count(*) FILTER (WHERE u64 = dv1) AS n FROM (${sql})`)
    ).getRowObjects()[0]!.n;
    expect(Number(sameAsMd5)).toBeLessThan(20000);
  });
});

test('this DuckDB computes duckdb-v1 as pinned; a different pin is told apart', async () => {
  // A DuckDB upgrade that changes hash() fails here first: pin a new hash, keep duckdb-v1 for
  // runs planned with it, and let the planner's check fall back to md5 meanwhile.
  await withDuckDB({ scratchDir: path.join(tempDir('buckets'), 'db') }, async (conn) => {
    const ok = async (sql: string) => (await conn.runAndReadAll(sql)).getRowObjects()[0]!.ok;
    expect(await ok(bucketHashCheckSql('duckdb-v1'))).toBe(true);
    expect(await ok(bucketHashCheckSql('md5-u64'))).toBe(true);
    const stale = DUCKDB_V1_PROBES.map(([t, h], i) => [t, i === 1 ? h + 1n : h] as const);
    expect(await ok(bucketHashCheckSql('duckdb-v1', stale))).toBe(false);
  });
});

test("duckdb-v1's buckets are independent of the low bits of DuckDB's unsalted hash", async () => {
  // DuckDB's join and aggregate tables index by the low bits of hash(key): unsalted, every key of
  // bucket b of 16 would share its 4 low bits and crowd a sixteenth of a bucket's hash table.
  await withDuckDB({ scratchDir: path.join(tempDir('buckets'), 'db') }, async (conn) => {
    const rows = (
      await conn.runAndReadAll(
        `SELECT hash(k) % 16 AS low, count(*) AS n FROM (SELECT 'v' || i AS k FROM range(160000) t(i))
         WHERE ${bucketSql('k', 16, 'duckdb-v1')} = 0 GROUP BY ALL`,
      )
    ).getRowObjects();
    expect(rows).toHaveLength(16);
    for (const r of rows) expect(Math.abs(Number(r.n) - 10000 / 16)).toBeLessThan(150);
  });
});
