// Pure helpers of the session-ranking activities: file grouping and bucket layout.
import { expect, test } from 'vitest';
import { batchFiles, bucketPrefix, groupBySize } from '../../../activities/session-ranking/index.js';
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

test('batchFiles closes a batch at the byte or file limit, keeping file order', () => {
  const files = [
    f('/a', 100),
    f('/b', 100),
    f('/c', 100),
    f('/d', 10),
    f('/e', 10),
    f('/f', 10),
    f('/g', 10),
  ];
  // 256-byte batches of at most 3 files: a,b,c crosses 256; d,e,f hits 3 files; g is the rest.
  expect(batchFiles(files, 256, 3)).toEqual([['/a', '/b', '/c'], ['/d', '/e', '/f'], ['/g']]);
  expect(batchFiles([f('/big', 1000), f('/x', 1)], 256, 4)).toEqual([['/big'], ['/x']]);
  expect(batchFiles([], 256, 4)).toEqual([]);
});
