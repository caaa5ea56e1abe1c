// Pure helpers of the session-ranking activities: file grouping and bucket layout.
import { expect, test } from 'vitest';
import { bucketPrefix, groupBySize } from '../../../activities/session-ranking/index.js';
import { bucketExpr } from '../../../activities/session-ranking/sql.js';

const f = (uri: string, size: number) => ({ uri, size });

test('groupBySize balances bytes, largest first, and sorts each group', () => {
  const files = [f('/a', 10), f('/b', 60), f('/c', 30), f('/d', 30), f('/e', 20)];
  const groups = groupBySize(files, 2);
  // 60 -> g0; 30 -> g1; 30 -> g1 (60); 20 -> g0 (80); 10 -> g1 (70)
  expect(groups).toEqual([
    ['/b', '/e'],
    ['/a', '/c', '/d'],
  ]);
  expect(groups.flat().sort()).toEqual(['/a', '/b', '/c', '/d', '/e']);
});

test('groupBySize never makes more groups than files, nor fewer than one', () => {
  expect(groupBySize([f('/a', 1), f('/b', 1)], 8)).toHaveLength(2);
  expect(groupBySize([f('/a', 1)], 0)).toEqual([['/a']]);
  expect(groupBySize([], 4)).toEqual([[]]);
});

test('groupBySize is deterministic for equal sizes whatever the listing order', () => {
  const files = [f('/x', 5), f('/y', 5), f('/z', 5), f('/w', 5)];
  expect(groupBySize(files, 2)).toEqual(groupBySize([...files].reverse(), 2));
});

test('bucket prefixes and the bucket expression', () => {
  expect(bucketPrefix('/out/_work/r1', 3)).toBe('/out/_work/r1/bucket=003');
  // Fixed width: on an object store the prefix of bucket 1 must not list bucket 10.
  expect(bucketPrefix('gs://b/out/_work/r1', 1)).toBe('gs://b/out/_work/r1/bucket=001');
  expect(bucketPrefix('gs://b/out/_work/r1', 10).startsWith(bucketPrefix('gs://b/out/_work/r1', 1))).toBe(
    false,
  );
  // The modulo must run on a 64-bit value: on md5_number's UHUGEINT it is ~30x slower.
  expect(bucketExpr('id', 4)).toContain('::UBIGINT % 4');
});
