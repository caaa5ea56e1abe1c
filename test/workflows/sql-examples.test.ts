// The two example SQL pipelines of pipelines/ in the daily DAG, on generated data: daily-visits runs
// after identity-join and expert-profiles after session-ranking (the DAG their inputs give), each
// output equals an independent TypeScript computation from the raw rows and the upstream's output,
// and each manifest records the checks the file declares.
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import type { DailyInput, DailyResult } from '../../lib/contracts/daily.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { publishGeneratedPartition } from '../../datagen/publish.js';
import { buildBranches } from '../../pipelines/dag.js';
import { loadCatalogue } from '../../pipelines/sql.js';
import type { Catalogue } from '../../pipelines/index.js';
import { expectedJoin, readRows } from '../helpers/identity-join.js';
import { startTestWorker, testConfig, type TestWorker } from '../helpers/temporal.js';

// A date no other test runs identity-join or session-ranking for (run ids are namespace-wide).
const RUN_DATE = '2025-06-17';
const PIPELINES = ['identity-join', 'daily-visits', 'session-ranking', 'expert-profiles'];
let env: TestWorker;
let root: string;
let catalogue: Catalogue;

beforeAll(async () => {
  const config = testConfig(); // DAYBREAK_PIPELINES_DIR: the repository's pipelines/
  root = config.DAYBREAK_DATA_ROOT;
  const generated = await generateIdentityJoin({
    rows: 3_000,
    visitors: 800,
    seed: 5,
    out: path.join(root, 'raw'),
    days: 1,
    startDate: RUN_DATE,
    ds1FilesPerDay: 2,
    ds2Files: 1,
  });
  await publishGeneratedPartition(path.join(generated.ds1Dir, `dt=${RUN_DATE}`), {
    pipeline: 'export',
    runDate: RUN_DATE,
  });

  await generateSessionRanking({ rows: 4_000, users: 300, seed: 8, out: path.join(root, 'raw'), year: 2024 });
  const loaded = await loadCatalogue(config);
  expect(loaded.errors).toEqual([]);
  catalogue = loaded.catalogue;
  env = await startTestWorker(config);
});
afterAll(async () => env?.stop());

/** The rows a published output's manifest lists. */
async function published(pipeline: string) {
  const prefix = path.join(root, 'curated', pipeline, `dt=${RUN_DATE}`);
  const manifest = (await readManifest(prefix))!;
  const parts = manifest.files
    .filter((f) => f.name.endsWith('.parquet'))
    .map((f) => path.join(prefix, f.name));
  return { manifest, rows: await readRows(parts) };
}

test('the examples run in the daily DAG after their upstream and equal an independent computation', async () => {
  const branches = buildBranches({ catalogue, pipelines: PIPELINES, dataRoot: root });
  const deps = Object.fromEntries(branches.map((b) => [b.pipeline, b.dependsOn]));
  expect(deps['daily-visits']).toEqual(['identity-join']);
  expect(deps['expert-profiles']).toEqual(['session-ranking']);
  const input: DailyInput = {
    runDate: RUN_DATE,
    branches,
    rerun: 'all',
    sensor: { pokeIntervalMs: 200, timeoutMs: 60_000 },
  };
  const handle = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `daily/${RUN_DATE}-sql-examples`,
    args: [input],
  });
  const result = (await handle.result()) as DailyResult;
  expect(Object.fromEntries(result.outcomes.map((o) => [o.pipeline, o.status]))).toEqual(
    Object.fromEntries(PIPELINES.map((p) => [p, 'completed'])),
  );

  // daily-visits: per LiveRamp id of the join, its rows and distinct visitors.
  const ds1 = await readRows([path.join(root, 'raw', 'visitor_events', `dt=${RUN_DATE}`, '*.parquet')]);
  const ds2 = await readRows([path.join(root, 'raw', 'liveramp', '*.parquet')]);
  const byLvr = new Map<string, { visits: number; visitors: Set<unknown> }>();
  for (const r of expectedJoin(ds1, ds2)) {
    if (r.lvr_id === null) continue;
    const v = byLvr.get(String(r.lvr_id)) ?? { visits: 0, visitors: new Set() };
    v.visits += 1;
    v.visitors.add(r.visitor_id);
    byLvr.set(String(r.lvr_id), v);
  }
  const visits = await published('daily-visits');
  const got = visits.rows
    .map((r) => [r.lvr_id, Number(r.visits), Number(r.visitors), r.dt])
    .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  const want = [...byLvr.entries()]
    .map(([lvr, v]) => [lvr, v.visits, v.visitors.size, RUN_DATE])
    .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  expect(want.length).toBeGreaterThan(100);
  expect(got).toEqual(want);
  expect(visits.manifest.report).toMatchObject({
    checks: expect.arrayContaining([
      expect.objectContaining({ check: 'unique(lvr_id)', status: 'passed', figure: 0 }),
      expect.objectContaining({ check: 'rows.maxChangePct', status: 'skipped' }),
    ]),
  });

  // expert-profiles: session-ranking's ranking with each user's first join date and tenure.
  const ranking = await published('session-ranking');
  const profile = await readRows([path.join(root, 'raw', 'user_profile', '*.parquet')]);
  const joined = new Map<string, string>();
  for (const p of profile) {
    const id = String(p.id);
    const date = String(p.join_date);
    if (!joined.has(id) || date < joined.get(id)!) joined.set(id, date);
  }
  const days = (from: string) => Math.round((Date.parse(RUN_DATE) - Date.parse(from)) / 86_400_000);
  const expected = ranking.rows
    .filter((r) => joined.has(String(r.user_id)))
    .map((r) => {
      const j = joined.get(String(r.user_id))!;
      return [r.month, r.rank, String(r.user_id), r.total_seconds, j, days(j)];
    })
    .sort((a, b) => Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1]));
  const experts = await published('expert-profiles');
  const actual = experts.rows
    .map((r) => [r.month, r.rank, r.user_id, r.total_seconds, r.joined, Number(r.tenure_days)])
    .sort((a, b) => Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1]));
  expect(expected.length).toBeGreaterThan(20);
  expect(actual).toEqual(expected);
  expect(experts.manifest.report).toMatchObject({
    checks: expect.arrayContaining([
      expect.objectContaining({ check: 'unique(month, rank)', status: 'passed' }),
    ]),
  });
});
