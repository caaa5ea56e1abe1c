// The worked example of "Adding a pipeline": visits-by-country (definition, workflow, activities
// under test/pipelines/visits-by-country/, and this test) joins a catalogue and a worker of its
// own, runs after identity-join in a DAG derived from its declared input, and matches an
// independent computation; a schedule of it alone waits for identity-join's output by a sensor.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import type { DailyInput, DailyResult } from '../../lib/contracts/daily.js';
import { publishedFile } from '../../lib/storage/publish.js';
import { publishGeneratedPartition } from '../../datagen/publish.js';
import { catalogue } from '../../pipelines/index.js';
import { buildBranches } from '../../pipelines/dag.js';
import { expectedJoin, readRows } from '../helpers/identity-join.js';
import { startTestWorker, testConfig, type TestWorker } from '../helpers/temporal.js';
import visitsByCountry from './visits-by-country/definition.js';

const RUN_DATE = '2025-04-01';
const cat = catalogue([visitsByCountry]);
let env: TestWorker;
let root: string;

beforeAll(async () => {
  const config = testConfig();
  root = config.DAYBREAK_DATA_ROOT;
  const generated = await generateIdentityJoin({
    rows: 3_000,
    visitors: 800,
    seed: 21,
    out: path.join(root, 'raw'),
    days: 1,
    startDate: RUN_DATE,
    ds1FilesPerDay: 2,
    ds2Files: 1,
  });
  // The upstream export publishes the date's DS1 partition (identity-join's sensor waits for it).
  await publishGeneratedPartition(path.join(generated.ds1Dir, `dt=${RUN_DATE}`), {
    pipeline: 'export',
    runDate: RUN_DATE,
  });

  env = await startTestWorker(config, {
    catalogue: cat,
    extraWorkflowModules: [fileURLToPath(new URL('./visits-by-country/workflow.ts', import.meta.url))],
  });
});
afterAll(async () => env?.stop());

async function runDag(pipelines: string[]): Promise<DailyResult> {
  const input: DailyInput = {
    runDate: RUN_DATE,
    branches: buildBranches({ catalogue: cat, pipelines, dataRoot: root }),
    rerun: 'all',
    sensor: { pokeIntervalMs: 200, timeoutMs: 60_000 },
  };
  const handle = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `daily/${RUN_DATE}-${pipelines.join('+')}`,
    args: [input],
  });
  return (await handle.result()) as DailyResult;
}

/** Per country: events, distinct visitors and LiveRamp ids, revenue, from the raw rows. */
async function expectedCounts() {
  const ds1 = await readRows([path.join(root, 'raw', 'visitor_events', `dt=${RUN_DATE}`, '*.parquet')]);
  const ds2 = await readRows([path.join(root, 'raw', 'liveramp', '*.parquet')]);
  const byCountry = new Map<
    string,
    { events: number; visitors: Set<unknown>; lvr: Set<unknown>; revenue: number }
  >();
  for (const r of expectedJoin(ds1, ds2)) {
    const c = byCountry.get(String(r.country)) ?? {
      events: 0,
      visitors: new Set(),
      lvr: new Set(),
      revenue: 0,
    };
    c.events += 1;
    c.visitors.add(r.visitor_id);
    if (r.lvr_id !== null) c.lvr.add(r.lvr_id);
    c.revenue += Number(r.revenue ?? 0);
    byCountry.set(String(r.country), c);
  }
  return [...byCountry.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([country, c]) => ({
      country,
      events: c.events,
      visitors: c.visitors.size,
      lvr_ids: c.lvr.size,
      revenue: c.revenue,
    }));
}

test('it runs after identity-join in the DAG its datasets give, and matches an independent computation', async () => {
  const branches = buildBranches({
    catalogue: cat,
    pipelines: ['visits-by-country', 'identity-join'],
    dataRoot: root,
  });
  expect(branches.map((b) => [b.pipeline, b.dependsOn])).toEqual([
    ['identity-join', []],
    ['visits-by-country', ['identity-join']],
  ]);
  const result = await runDag(['identity-join', 'visits-by-country']);
  expect(result.outcomes.map((o) => [o.pipeline, o.status])).toEqual([
    ['identity-join', 'completed'],
    ['visits-by-country', 'completed'],
  ]);
  const out = path.join(root, 'curated', 'visits-by-country', `dt=${RUN_DATE}`);
  const published = await publishedFile(out, 'part-00000.parquet');
  expect(published).toBeDefined();
  const rows = await readRows([published!]);
  const expected = await expectedCounts();
  expect(expected.length).toBeGreaterThan(3);
  // BIGINT counts come back as strings from the JSON reader.
  const counts = (r: Record<string, unknown>) => ({
    country: r.country,
    events: Number(r.events),
    visitors: Number(r.visitors),
    lvr_ids: Number(r.lvr_ids),
  });
  expect(rows.map(counts)).toEqual(expected.map(counts));
  for (const [i, e] of expected.entries()) expect(Number(rows[i]!.revenue)).toBeCloseTo(e.revenue, 6);
});

test('a schedule of it alone waits for identity-join output by a sensor, and runs once it is published', async () => {
  const [branch] = buildBranches({ catalogue: cat, pipelines: ['visits-by-country'], dataRoot: root });
  expect(branch!.dependsOn).toEqual([]);
  expect(branch!.inputs).toEqual([
    { uri: path.join(root, 'curated', 'identity-join', 'dt={date}'), dataset: 'curated/identity-join' },
  ]);
  const result = await runDag(['visits-by-country']);
  expect(result.outcomes.map((o) => [o.pipeline, o.status])).toEqual([['visits-by-country', 'completed']]);
  const history = await env.client.workflow.getHandle(`daily/${RUN_DATE}-visits-by-country`).fetchHistory();
  const scheduled = (history.events ?? []).flatMap(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
  );
  expect(scheduled).toContain('checkInput');
});
