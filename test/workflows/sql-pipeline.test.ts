// SQL pipelines end to end on the suite's dev server: a file written after the worker started
// runs on it (the definition travels in the input), its output equals a computation in plain
// TypeScript, map and single give the same rows, a failed check leaves the previous output
// published and fails once with its figures, and the sandbox refuses what the query may not do.
import fs from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { curatedOutput } from '../../lib/paths.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { readRows } from '../helpers/identity-join.js';
import { publishUpstream, runSqlPipeline, writeRawDataset, type Row } from '../helpers/sql-pipeline.js';
import {
  activityStarts,
  startTestWorker,
  tempDir,
  testConfig,
  type TestWorker,
} from '../helpers/temporal.js';

const DAY = '2025-03-02';
const PREVIOUS_DAY = '2025-03-01';
let env: TestWorker;
let pipelinesDir: string;
let root: string;

/** identity-join-like rows: 12 lvr_ids, revenue i % 17, a few rows per id and event types. */
function events(n: number, salt: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    visitor_id: `v${(i * 7 + salt) % 40}`,
    lvr_id: `L${(i * 5 + salt) % 12}`,
    revenue: (i + salt) % 17,
    event_type: i % 3 === 0 ? 'purchase' : 'view',
  }));
}
const EVENT_SCHEMA = { visitor_id: 'VARCHAR', lvr_id: 'VARCHAR', revenue: 'DOUBLE', event_type: 'VARCHAR' };
const eventsToday = events(600, 3);
const profiles: Row[] = Array.from({ length: 10 }, (_, i) => ({
  lvr_id: `L${i}`,
  level: i % 4 === 0 ? 'expert' : 'basic',
}));

const VISITS_SQL = `/*---
description: Visits and revenue per LiveRamp id, with the profile level
owner: data-platform
inputs:
  events: identity-join
  profiles: raw/user_profile
checks:
  rows: { min: 1, maxChangePct: 50 }
  notNull: [lvr_id]
  unique: [lvr_id]
  sql: SELECT * FROM output WHERE visits <= 0
---*/
SELECT e.lvr_id, count(*) AS visits, sum(e.revenue) AS revenue, any_value(p.level) AS level,
       getvariable('run_date') AS dt
FROM events e LEFT JOIN profiles p USING (lvr_id)
GROUP BY e.lvr_id
`;

/** The same answer in TypeScript: one row per lvr_id with its visits, revenue and level. */
function expectedVisits(rows: Row[]): Row[] {
  const level = new Map(profiles.map((p) => [p.lvr_id, p.level]));
  const out = new Map<string, { visits: number; revenue: number }>();
  for (const r of rows) {
    const o = out.get(String(r.lvr_id)) ?? { visits: 0, revenue: 0 };
    o.visits += 1;
    o.revenue += Number(r.revenue);
    out.set(String(r.lvr_id), o);
  }
  return [...out.entries()]
    .map(([lvr_id, o]) => ({
      lvr_id,
      visits: o.visits,
      revenue: o.revenue,
      level: level.get(lvr_id) ?? null,
      dt: DAY,
    }))
    .sort((a, b) => (a.lvr_id < b.lvr_id ? -1 : 1));
}

async function outputRows(prefix: string): Promise<Row[]> {
  const manifest = (await readManifest(prefix))!;
  const rows = await readRows(manifest.files.map((f) => path.join(prefix, f.name)));
  return rows.map(
    (r) =>
      ({
        ...r,
        visits: r.visits === undefined ? undefined : Number(r.visits),
        revenue: Number(r.revenue),
      }) as Row,
  );
}

async function failureOf(p: Promise<unknown>): Promise<{ type: string; message: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as Error).cause as (Error & { type?: string; cause?: unknown }) | undefined;
  while (cause?.cause instanceof Error) cause = cause.cause as Error & { type?: string };
  return { type: cause?.type ?? '', message: cause?.message ?? '' };
}

beforeAll(async () => {
  pipelinesDir = tempDir('sql-pipelines');
  const config = testConfig({
    DAYBREAK_PIPELINES_DIR: pipelinesDir,
    DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '2',
  });
  root = config.DAYBREAK_DATA_ROOT;
  // The worker starts before any pipeline file exists.
  env = await startTestWorker(config);
  await publishUpstream(root, 'identity-join', DAY, eventsToday, EVENT_SCHEMA, 3);
  await publishUpstream(root, 'identity-join', PREVIOUS_DAY, events(560, 1), EVENT_SCHEMA, 2);
  await writeRawDataset(root, 'user_profile', profiles, { lvr_id: 'VARCHAR', level: 'VARCHAR' });
});
afterAll(async () => {
  await env?.stop();
});

test('a file written after the worker started runs on it; its output equals the TypeScript computation', async () => {
  await fs.writeFile(path.join(pipelinesDir, 'visits.sql'), VISITS_SQL);
  await runSqlPipeline(env.client, env.config, 'visits', PREVIOUS_DAY); // what maxChangePct compares with
  const result = await runSqlPipeline(env.client, env.config, 'visits', DAY);
  const prefix = curatedOutput(root, 'visits', DAY);
  const rows = (await outputRows(prefix)).sort((a, b) => (String(a.lvr_id) < String(b.lvr_id) ? -1 : 1));
  expect(rows).toEqual(expectedVisits(eventsToday));
  expect(result).toMatchObject({
    pipeline: 'visits',
    mode: 'single',
    tasks: 1,
    inputRows: 600,
    rowsOut: 12,
    output: prefix,
  });
  expect(result.columns.map((c) => c.name)).toEqual(['lvr_id', 'visits', 'revenue', 'level', 'dt']);
  // The manifest records the checks, the file's digest and what each input was read from.
  const manifest = (await readManifest(prefix))!;
  expect(manifest.report).toMatchObject({
    file: path.join(pipelinesDir, 'visits.sql'),
    digest: expect.stringMatching(/^[0-9a-f]{64}$/),
    inputs: {
      events: { dataset: 'curated/identity-join', partition: DAY, files: 3 },
      profiles: { dataset: 'raw/user_profile', files: 1 },
    },
  });
  const checks = Object.fromEntries(
    (manifest.report!.checks as { check: string; status: string }[]).map((c) => [c.check, c.status]),
  );
  const change = (manifest.report!.checks as { check: string; detail?: string }[]).find(
    (c) => c.check === 'rows.maxChangePct',
  );
  expect(change!.detail).toBe(`12 rows against 12 on ${PREVIOUS_DAY}`);
  expect(checks).toEqual({
    'rows.min': 'passed',
    'rows.maxChangePct': 'passed',
    'notNull(lvr_id)': 'passed',
    'unique(lvr_id)': 'passed',
    'sql[0]': 'passed',
  });
  // On-call sees exactly which SQL ran in the run's Input.
  const history = await env.client.workflow.getHandle(`visits/${DAY}`).fetchHistory();
  const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
  const inputText = Buffer.from(started.input!.payloads![0]!.data!).toString();
  expect(inputText).toContain('FROM events e LEFT JOIN profiles p USING (lvr_id)');
});

test('mode: map (one task per file group) and mode: single give the same rows', async () => {
  const body = `SELECT e.visitor_id, e.lvr_id, e.revenue * 2 AS double_revenue, p.level
FROM events e JOIN profiles p USING (lvr_id)
WHERE e.event_type = 'purchase'`;
  const header = (mode: string) =>
    `/*---\ndescription: Purchases with the profile level\nowner: data-platform\ninputs:\n  events: identity-join\n  profiles: raw/user_profile\nmode: ${mode}\n---*/\n`;
  await fs.writeFile(path.join(pipelinesDir, 'purchases-map.sql'), header('map') + body);
  await fs.writeFile(path.join(pipelinesDir, 'purchases-single.sql'), header('single') + body);
  const mapped = await runSqlPipeline(env.client, env.config, 'purchases-map', DAY, { groupMB: '0.001' });
  const single = await runSqlPipeline(env.client, env.config, 'purchases-single', DAY);
  expect(mapped.tasks).toBe(3);
  expect(single.tasks).toBe(1);
  const key = (r: Record<string, unknown>) => JSON.stringify(r);
  const mapRows = (await readRows(await files('purchases-map'))).map(key).sort();
  const singleRows = (await readRows(await files('purchases-single'))).map(key).sort();
  const level = new Map(profiles.map((p) => [p.lvr_id, p.level]));
  const expected = eventsToday
    .filter((e) => e.event_type === 'purchase' && level.has(e.lvr_id))
    .map((e) =>
      key({
        visitor_id: e.visitor_id,
        lvr_id: e.lvr_id,
        double_revenue: Number(e.revenue) * 2,
        level: level.get(e.lvr_id)!,
      }),
    )
    .sort();
  expect(mapRows).toEqual(expected);
  expect(singleRows).toEqual(expected);
});

async function files(name: string): Promise<string[]> {
  const prefix = curatedOutput(root, name, DAY);
  return (await readManifest(prefix))!.files.map((f) => path.join(prefix, f.name));
}

test('a failed check leaves the previous output published and fails once with its figures', async () => {
  const file = path.join(pipelinesDir, 'strict-visits.sql');
  await fs.writeFile(file, VISITS_SQL);
  await runSqlPipeline(env.client, env.config, 'strict-visits', DAY);
  const prefix = curatedOutput(root, 'strict-visits', DAY);
  const before = await readManifest(prefix);
  // The same date again with a stricter check: 12 rows against at most 5, and a violations query.
  await fs.writeFile(
    file,
    VISITS_SQL.replace('rows: { min: 1, maxChangePct: 50 }', 'rows: { max: 5 }').replace(
      'visits <= 0',
      'revenue > 80',
    ),
  );
  const failure = await failureOf(runSqlPipeline(env.client, env.config, 'strict-visits', DAY));
  expect(failure.type).toBe('DataQuality');
  expect(failure.message).toContain(`strict-visits ${DAY}: 2 of 4 data-quality checks failed`);
  expect(failure.message).toContain('check rows.max failed: 12, limit <= 5');
  expect(failure.message).toMatch(
    /check sql\[0\] \[SELECT \* FROM output WHERE revenue > 80\] failed: \d+, limit = 0 rows returned/,
  );
  expect(failure.message).toMatch(/violating rows \(up to 5, PII masked\):\n {4}\{"lvr_id":"L\d+"/);
  // One attempt of the publish step: no retry.
  const starts = await activityStarts(env.client, `strict-visits/${DAY}`);
  expect(starts.filter((s) => s.type === 'publishSqlPipeline').map((s) => s.attempt)).toEqual([1]);
  // The previous output is still published, every file it lists intact.
  expect(await readManifest(prefix)).toEqual(before);
  expect((await outputRows(prefix)).length).toBe(12);
});

describe('the sandbox', () => {
  const escape = async (name: string, query: string) => {
    await fs.writeFile(
      path.join(pipelinesDir, `${name}.sql`),
      `/*---\ndescription: tries to escape\nowner: mallory\ninputs:\n  events: identity-join\n---*/\n${query}\n`,
    );
    const failure = await failureOf(runSqlPipeline(env.client, env.config, name, DAY));
    // No step was retried.
    const starts = await activityStarts(env.client, `${name}/${DAY}`);
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.filter((s) => s.attempt > 1)).toEqual([]);
    return failure;
  };

  test.each([
    [
      'reading a system file',
      `SELECT * FROM read_csv('/etc/passwd')`,
      /refused: Cannot access file "\/etc\/passwd"/,
    ],
    [
      'COPY TO elsewhere',
      `COPY (SELECT * FROM events) TO '/tmp/daybreak-escape.csv'`,
      /refused: Cannot access file "\/tmp\/daybreak-escape\.csv"/,
    ],
    [
      'ATTACH',
      `ATTACH '/tmp/daybreak-escape.duckdb'`,
      /refused: the query must be one SELECT .*found a ATTACH statement/,
    ],
    ['INSTALL', `INSTALL httpfs`, /refused: .*(Cannot access directory|one SELECT)/],
    [
      'SET enable_external_access',
      `SET enable_external_access = true`,
      /refused: the query must be one SELECT .*found a SET statement/,
    ],
  ])('%s fails the run once, naming the file and what was refused', async (_what, query, refused) => {
    const name = `escape-${Math.random().toString(36).slice(2, 8)}`;
    const failure = await escape(name, query);
    expect(failure.type).toBe('SandboxViolation');
    expect(failure.message).toContain(
      `${name}.sql: the query may read only its declared inputs and write nothing`,
    );
    expect(failure.message).toMatch(refused);
    await expect(fs.stat('/tmp/daybreak-escape.csv')).rejects.toThrow();
  });

  test('a file under the data root that the header does not declare is refused', async () => {
    const other = path.join(root, 'raw', 'user_profile', 'part-00000.parquet');
    const failure = await escape('escape-undeclared', `SELECT * FROM events, read_parquet('${other}')`);
    expect(failure.type).toBe('SandboxViolation');
    expect(failure.message).toContain(`refused: Cannot access file "${other}"`);
  });
});
