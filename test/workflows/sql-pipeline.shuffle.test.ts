// mode shuffle on the suite's dev server: a join + aggregate split into 4 buckets of lvr_id (maps
// write every input once by bucket, one query task per bucket) gives the same rows, by an
// order-free checksum, as mode single on the same inputs and as a computation in TypeScript (NULL
// keys included); the report says how the inputs were shuffled; an input without the shardBy
// column fails once, naming it.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { curatedOutput } from '../../lib/paths.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { readRows } from '../helpers/identity-join.js';
import { publishUpstream, runSqlPipeline, writeRawDataset, type Row } from '../helpers/sql-pipeline.js';
import {
  activityStarts,
  startTestWorker,
  testConfig,
  tempDir,
  type TestWorker,
} from '../helpers/temporal.js';

const DAY = '2025-05-02';
let env: TestWorker;
let pipelinesDir: string;
let root: string;

/** 1,200 events over 60 lvr_ids (every 50th has none), some visitors repeated. */
const events: Row[] = Array.from({ length: 1_200 }, (_, i) => ({
  visitor_id: `v${(i * 7) % 90}`,
  lvr_id: i % 50 === 0 ? null : `L${(i * 13) % 60}`,
  revenue: (i * 3) % 23,
}));
/** Profiles of 40 of the 60 lvr_ids, and of 5 that have no events. */
const profiles: Row[] = Array.from({ length: 45 }, (_, i) => ({
  lvr_id: i < 40 ? `L${i}` : `L${100 + i}`,
  level: i % 3 === 0 ? 'expert' : 'basic',
}));

const QUERY = `SELECT e.lvr_id, count(*) AS visits, count(DISTINCT e.visitor_id) AS visitors,
       sum(e.revenue) AS revenue, any_value(p.level) AS level
FROM events e LEFT JOIN profiles p ON p.lvr_id = e.lvr_id
GROUP BY e.lvr_id`;

const pipeline = (mode: string) => `/*---
description: Visits, visitors and revenue per LiveRamp id, with the profile level
owner: data-platform
inputs:
  events: identity-join
  profiles: raw/user_profile
${mode}
checks:
  rows: { min: 1 }
  unique: [lvr_id]
---*/
${QUERY}
`;

/** The same answer in TypeScript. */
function expected(): Row[] {
  const level = new Map(profiles.map((p) => [p.lvr_id, p.level]));
  const groups = new Map<string | null, { visits: number; visitors: Set<unknown>; revenue: number }>();
  for (const e of events) {
    const key = e.lvr_id === null ? null : String(e.lvr_id);
    const g = groups.get(key) ?? { visits: 0, visitors: new Set(), revenue: 0 };
    g.visits += 1;
    g.visitors.add(e.visitor_id);
    g.revenue += Number(e.revenue);
    groups.set(key, g);
  }
  return [...groups].map(([lvr_id, g]) => ({
    lvr_id,
    visits: g.visits,
    visitors: g.visitors.size,
    revenue: g.revenue,
    level: lvr_id === null ? null : (level.get(lvr_id) ?? null),
  }));
}

/** The output's rows as sorted JSON lines, and their SHA-256: a checksum that ignores row order. */
async function outputOf(name: string): Promise<{ lines: string[]; checksum: string; files: string[] }> {
  const prefix = curatedOutput(root, name, DAY);
  const files = (await readManifest(prefix))!.files.map((f) => path.join(prefix, f.name));
  return checksummed(await readRows(files), files);
}

function checksummed(rows: Record<string, unknown>[], files: string[] = []) {
  const lines = rows
    .map((r) =>
      JSON.stringify({
        lvr_id: r.lvr_id,
        visits: Number(r.visits),
        visitors: Number(r.visitors),
        revenue: Number(r.revenue),
        level: r.level,
      }),
    )
    .sort();
  return { lines, checksum: createHash('sha256').update(lines.join('\n')).digest('hex'), files };
}

beforeAll(async () => {
  pipelinesDir = tempDir('sql-shuffle');
  const config = testConfig({
    DAYBREAK_PIPELINES_DIR: pipelinesDir,
    DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '2',
  });
  root = config.DAYBREAK_DATA_ROOT;
  env = await startTestWorker(config);
  await publishUpstream(
    root,
    'identity-join',
    DAY,
    events,
    { visitor_id: 'VARCHAR', lvr_id: 'VARCHAR', revenue: 'DOUBLE' },
    3,
  );
  await writeRawDataset(root, 'user_profile', profiles, { lvr_id: 'VARCHAR', level: 'VARCHAR' });
  await fs.writeFile(path.join(pipelinesDir, 'visits-single.sql'), pipeline('mode: single'));
  await fs.writeFile(
    path.join(pipelinesDir, 'visits-shuffle.sql'),
    pipeline('mode: shuffle\nshardBy: lvr_id'),
  );
});
afterAll(async () => {
  await env?.stop();
});

test('mode shuffle over 4 buckets gives the rows of mode single and of the TypeScript computation', async () => {
  const single = await runSqlPipeline(env.client, env.config, 'visits-single', DAY);
  const shuffled = await runSqlPipeline(env.client, env.config, 'visits-shuffle', DAY, {
    buckets: '4',
    groupMB: '0.001', // one map task per file: 3 for events, 1 for profiles
  });
  const want = checksummed(expected());
  const fromSingle = await outputOf('visits-single');
  const fromShuffle = await outputOf('visits-shuffle');
  expect(fromSingle.lines).toEqual(want.lines);
  expect(fromShuffle.lines).toEqual(want.lines);
  expect(fromShuffle.checksum).toBe(fromSingle.checksum);
  expect(single.tasks).toBe(1);

  // One query task per bucket, several of which wrote rows; every input file read once by the maps.
  expect(shuffled).toMatchObject({
    mode: 'shuffle',
    tasks: 4,
    inputRows: events.length,
    rowsOut: want.lines.length,
  });
  expect(
    new Set(fromShuffle.files.map((f) => /part-(\d{5})-/.exec(path.basename(f))![1])).size,
  ).toBeGreaterThan(1);
  const inputBytes = Object.values(shuffled.inputs).reduce((s, i) => s + i.bytes, 0);
  expect(shuffled.shuffle).toMatchObject({
    shardBy: 'lvr_id',
    buckets: 4,
    reason: 'buckets=4 asked for',
    mapTasks: 4,
    inputBytesRead: inputBytes,
    filesResumed: 0,
  });
  expect(shuffled.shuffle!.partitionFiles).toBeGreaterThanOrEqual(4);
  const manifest = await readManifest(curatedOutput(root, 'visits-shuffle', DAY));
  expect(manifest!.report).toMatchObject({ mode: 'shuffle', shuffle: { buckets: 4 } });
  const starts = await activityStarts(env.client, `visits-shuffle/${DAY}`);
  const count = (type: string) => starts.filter((s) => s.type === type).length;
  expect([count('mapSqlPipelineInput'), count('runSqlPipelineTask')]).toEqual([4, 4]);
});

test('an input without the shardBy column fails once, naming the input and the column', async () => {
  await fs.writeFile(
    path.join(pipelinesDir, 'by-visitor.sql'),
    pipeline('mode: shuffle\nshardBy: visitor_id')
      .replace(QUERY, 'SELECT visitor_id, count(*) AS n FROM events GROUP BY visitor_id')
      .replace('  unique: [lvr_id]\n', ''),
  );
  const err = await runSqlPipeline(env.client, env.config, 'by-visitor', DAY).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as Error).cause as (Error & { type?: string }) | undefined;
  while (cause?.cause instanceof Error) cause = cause.cause as Error & { type?: string };
  expect(cause?.type).toBe('BadInput');
  expect(cause?.message).toMatch(
    /by-visitor\.sql:\d+: shardBy: input profiles \(raw\/user_profile\) has no column visitor_id/,
  );
  const starts = await activityStarts(env.client, `by-visitor/${DAY}`);
  // One attempt of the plan, and no map or query task started.
  expect(starts.filter((s) => s.type === 'planSqlPipeline').map((s) => s.attempt)).toEqual([1]);
  expect(starts.filter((s) => /^(mapSqlPipelineInput|runSqlPipelineTask)$/.test(s.type))).toEqual([]);
});
