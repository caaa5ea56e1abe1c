// Planning mode shuffle: buckets from the inputs' bytes and the task memory limit (recorded with
// the reason), the count asked for when given; one bucket plans one task as mode single would,
// more plan every input's map groups and one query task per bucket.
import { describe, expect, test } from 'vitest';
import { PLANNERS } from '../../../activities/sql-pipeline/modes.js';
import { planSqlShuffle, sizeSqlShuffle } from '../../../activities/sql-pipeline/shuffle.js';
import type { PlannedInput } from '../../../activities/sql-pipeline/types.js';
import { loadConfig } from '../../../lib/config.js';

const input = (name: string, sizes: number[]): PlannedInput => ({
  dataset: `curated/${name}`,
  uri: `/data/${name}`,
  files: sizes.map((size, i) => ({ uri: `/data/${name}/part-${i}.parquet`, size })),
  bytes: sizes.reduce((s, n) => s + n, 0),
});

describe('sizeSqlShuffle', () => {
  test('a bucket of every input within half a task: more buckets as memory shrinks', () => {
    const size = (inputBytes: number, memoryLimit: string) =>
      sizeSqlShuffle({ shardBy: 'lvr_id', inputBytes, memoryLimit, concurrentTasks: 2 });
    expect(size(100e6, '8GB')).toMatchObject({ buckets: 1, reason: expect.stringMatching(/no shuffle/) });
    // 400 MB of Parquet ~ 2 GB in memory; half of 1 GB per bucket: 4 buckets.
    expect(size(400e6, '1GB')).toMatchObject({
      buckets: 4,
      memoryBytes: 2e9,
      taskMemoryBytes: 1e9,
      reason: expect.stringMatching(/shuffled into 4 lvr_id buckets/),
    });
    expect(size(400e6, '256MB').buckets).toBe(16);
  });

  test('the count asked for wins, and says so', () => {
    expect(
      sizeSqlShuffle({ shardBy: 'k', inputBytes: 1, memoryLimit: '8GB', concurrentTasks: 2, buckets: 8 }),
    ).toMatchObject({ buckets: 8, reason: 'buckets=8 asked for' });
  });
});

describe('the shuffle planner', () => {
  const inputs = { events: input('events', [300, 300, 300]), profiles: input('profiles', [50]) };
  const config = loadConfig({ DAYBREAK_DUCKDB_MEMORY_LIMIT: '1GB' });

  test('more than one bucket: every input in map groups, one query task per bucket', () => {
    const shuffle = planSqlShuffle({
      config,
      shardBy: 'k',
      inputs,
      groupBytes: 300,
      buckets: 4,
      workUri: '/w',
    });
    expect(shuffle.maps).toEqual({
      events: [
        [['/data/events/part-0.parquet']],
        [['/data/events/part-1.parquet']],
        [['/data/events/part-2.parquet']],
      ],
      profiles: [[['/data/profiles/part-0.parquet']]],
    });
    const tasks = PLANNERS.shuffle(inputs, { groupBytes: 300, shuffle });
    expect(tasks.map((t) => [t.task, t.tasks, t.shuffled])).toEqual(
      [0, 1, 2, 3].map((b) => [b, 4, { bucket: b, workUri: '/w' }]),
    );
    // Every input starts as a schema-only view (its smallest file); the task reads its partitions.
    expect(tasks[0]!.views).toEqual({});
    expect(tasks[0]!.emptyViews).toEqual({
      events: ['/data/events/part-0.parquet'],
      profiles: ['/data/profiles/part-0.parquet'],
    });
  });

  test('one bucket: no map stage, one task over everything as mode single', () => {
    const shuffle = planSqlShuffle({ config, shardBy: 'k', inputs, groupBytes: 300, workUri: '/w' });
    expect(shuffle).toMatchObject({ buckets: 1, maps: {} });
    expect(PLANNERS.shuffle(inputs, { groupBytes: 300, shuffle })).toEqual(
      PLANNERS.single(inputs, { groupBytes: 300 }),
    );
  });
});
