// Planning and SQL pieces of identity-join: bucket sizing from DS2 and memory, the run date's DS1
// selection (root, explicit partition, glob), parameter parsing, and output compaction to the
// target file size.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { chooseBuckets, selectDs1 } from '../../../activities/identity-join/plan.js';
import { parseByteSize } from '../../../activities/common/memory.js';
import { createDs2TableSql, joinSql } from '../../../activities/identity-join/sql.js';
import { sqlString, withDuckDB } from '../../../lib/duckdb.js';
import { tempDir } from '../../helpers/temporal.js';

describe('chooseBuckets', () => {
  test('one bucket when the hashed DS2 fits half a task; more when memory is limited', () => {
    expect(chooseBuckets({ ds2Bytes: 400e6, memoryLimit: '8GB', concurrentTasks: 2 })).toBe(1);
    expect(chooseBuckets({ ds2Bytes: 400e6, memoryLimit: '1GB', concurrentTasks: 2 })).toBe(4);
    expect(chooseBuckets({ ds2Bytes: 25e9, memoryLimit: '8GB', concurrentTasks: 2 })).toBe(32);
    // No limit: 80% of RAM shared by the concurrent tasks.
    expect(chooseBuckets({ ds2Bytes: 1e9, concurrentTasks: 2, totalMemory: 10e9 })).toBe(3);
    expect(chooseBuckets({ ds2Bytes: 1e15, memoryLimit: '1GB', concurrentTasks: 1 })).toBe(256);
  });
  test('parseByteSize reads the forms config accepts', () => {
    expect(parseByteSize('1GB')).toBe(1e9);
    expect(parseByteSize('512MiB')).toBe(512 * 1024 ** 2);
    expect(() => parseByteSize('lots')).toThrow(/not a byte size/);
  });
});

describe('selectDs1', () => {
  test('root, explicit dt= folder and glob all pick the run date; other dates are empty, no data is missing', async () => {
    const root = tempDir('ij-sel');
    for (const d of ['2025-01-01', '2025-01-02']) {
      await fs.mkdir(path.join(root, 'ds1', `dt=${d}`), { recursive: true });
      await fs.writeFile(path.join(root, 'ds1', `dt=${d}`, 'part-0.parquet'), 'x');
    }
    const ds1 = path.join(root, 'ds1');
    const names = (s: { files: { uri: string }[] }) => s.files.map((f) => path.relative(ds1, f.uri));
    expect(names(await selectDs1(ds1, '2025-01-02'))).toEqual(['dt=2025-01-02/part-0.parquet']);
    expect(names(await selectDs1(path.join(ds1, 'dt=2025-01-01'), '2025-01-02'))).toEqual([
      'dt=2025-01-01/part-0.parquet',
    ]);
    expect(names(await selectDs1(path.join(ds1, '*', '*.parquet'), '2025-01-01'))).toEqual([
      'dt=2025-01-01/part-0.parquet',
    ]);
    const empty = await selectDs1(ds1, '2025-01-09');
    expect(empty).toEqual({ files: [], partition: path.join(ds1, 'dt=2025-01-09') });
    await expect(selectDs1(path.join(root, 'nothing'), '2025-01-01')).rejects.toMatchObject({
      type: 'MissingInput',
    });
  });
});

test('join output is compacted into files of about targetFileMB', async () => {
  const dir = tempDir('ij-compact');
  const ds1 = path.join(dir, 'ds1.parquet');
  const d2 = path.join(dir, 'd2.parquet');
  const out = path.join(dir, 'out');
  await withDuckDB({ scratchDir: dir, threads: 2 }, async (conn) => {
    // ~25 MB of incompressible text (md5 hex) in the output, every visitor matched once.
    await conn.run(`COPY (SELECT 'v' || (i % 5000) AS visitor_id, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS payload
      FROM range(500000) t(i)) TO ${sqlString(ds1)} (FORMAT parquet)`);
    await conn.run(`COPY (SELECT 'v' || i AS visitor_id, 'LR' || i AS lvr_id, sha256(i::VARCHAR) AS sha2
      FROM range(5000) t(i)) TO ${sqlString(d2)} (FORMAT parquet)`);
    await conn.run(createDs2TableSql([d2]));
    await conn.run(
      joinSql({
        ds1Files: [ds1],
        ds2: { table: 'd2' },
        outDir: out,
        targetFileMB: 8,
      }),
    );
  });
  const sizes = (await fs.readdir(out)).sort().map(async (f) => (await fs.stat(path.join(out, f))).size);
  const bytes = await Promise.all(sizes);
  expect(bytes.length).toBeGreaterThanOrEqual(2);
  expect(bytes.length).toBeLessThanOrEqual(8);
  // DuckDB rotates on its own size estimate at row-group boundaries: within 0.5x-2x of the target.
  for (const b of bytes.slice(0, -1)) {
    expect(b).toBeGreaterThan(4e6);
    expect(b).toBeLessThan(16e6);
  }
});
