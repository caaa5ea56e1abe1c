// `daybreak status --grid` over a real week of session-ranking runs on the dev server: five dates
// run by a backfill (one of them then made stale by republishing an input it read), one failed
// run, one date whose daily DAG waits on a sensor. Each cell's state, the failed cell's root cause
// and link in the footer, plain marks when piped and colours on a terminal.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { planFor, startBackfill } from '../../cli/commands/backfill.js';
import { renderGrid, type StatusGrid } from '../../cli/commands/status-grid.js';
import { statusCommand } from '../../cli/commands/status.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { dagStateQuery } from '../../lib/contracts/daily.js';
import { dateRange } from '../../lib/contracts/logical-date.js';
import { lineageOf } from '../../lib/lineage.js';
import { MANIFEST_NAME, readManifest } from '../../lib/storage/manifest.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import { PIPELINES } from '../../pipelines/index.js';
import { loadCatalogue } from '../../pipelines/sql.js';
import { loadConfig } from '../../lib/config.js';
import { buildParams } from '../../pipelines/params.js';
import { startRun } from '../../pipelines/runs.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

let env: TestWorker;
let root: string;
let dag: WorkflowHandle | undefined;
const WEEK = dateRange('2012-08-01', '2012-08-07');
const output = (pipeline: string, date: string) => path.join(root, 'curated', pipeline, `dt=${date}`);

beforeAll(async () => {
  root = tempDir('grid');
  env = await startTestWorker(testConfig({ DAYBREAK_DATA_ROOT: root }));
  await generateSessionRanking({ rows: 1_000, users: 100, seed: 8, out: path.join(root, 'raw'), year: 2012 });
});
afterAll(async () => {
  await dag?.terminate('test over').catch(() => undefined);
  await env?.stop();
});

async function publishUpstream(date: string): Promise<string> {
  const prefix = output('upstream', date);
  const file = path.join(tempDir('part'), 'part-0.txt');
  await fs.writeFile(file, `${Date.now()}\n`);
  await publishLocalFiles(prefix, { pipeline: 'upstream', runDate: date }, [
    { localPath: file, name: 'part-0.txt', rows: 1 },
  ]);
  return prefix;
}

async function statusHere(...args: string[]): Promise<string> {
  Object.assign(process.env, {
    TEMPORAL_ADDRESS: env.config.TEMPORAL_ADDRESS,
    DAYBREAK_TASK_QUEUE: env.config.DAYBREAK_TASK_QUEUE,
    DAYBREAK_DATA_ROOT: root,
  });
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await new Command('daybreak')
      .exitOverride()
      .addCommand(statusCommand())
      .parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

test('a week of runs: succeeded, stale, failed and waiting cells, the footer, plain and coloured', async () => {
  const [d1, , d3, , d5, d6, d7] = WEEK as [string, string, string, string, string, string, string];
  const request = { from: d1, to: d5, reprocess: 'missing' as const, maxParallel: 2 };
  const plan = await planFor(
    'session-ranking',
    { ...request, downstream: false, param: {} },
    env.config,
    env.client,
  );
  await (await startBackfill(env.client, env.config, 'session-ranking', request, plan)).result();

  // d3's output read an upstream output (its lineage, as a run records it); republishing that
  // upstream makes d3 stale.
  const upstream = await publishUpstream(d3);
  const manifest = (await readManifest(output('session-ranking', d3)))!;
  const inputs = await lineageOf([upstream], d3, root);
  await fs.writeFile(
    path.join(output('session-ranking', d3), MANIFEST_NAME),
    JSON.stringify({ ...manifest, inputs }, null, 2),
  );
  await publishUpstream(d3);

  const missing = path.join(root, 'nowhere');
  const failed = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'session-ranking',
    runDate: d6,
    rawParams: { activity: missing },
  });
  await failed.result().catch(() => undefined);

  const def = PIPELINES.get('session-ranking');
  dag = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `daily/${d7}`,
    args: [
      {
        runDate: d7,
        rerun: 'all',
        sensor: { pokeIntervalMs: 600_000, timeoutMs: 3_600_000 },
        branches: [
          {
            pipeline: 'session-ranking',
            workflowType: def.workflow.name,
            params: buildParams(def, {}, { config: env.config, runDate: d7 }),
            dependsOn: [],
            inputs: [{ uri: output('late-upstream', d7), dataset: 'curated/late-upstream' }],
          },
        ],
      },
    ],
  });
  for (let i = 0; i < 200; i++) {
    const state = await dag.query(dagStateQuery).catch(() => undefined);
    if (state?.branches[0]?.state === 'waiting') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect((await dag.query(dagStateQuery)).branches[0]?.state).toBe('waiting');

  const grid = JSON.parse(
    await statusHere('status', '--grid', '--days', '7', '--date', d7, '--json'),
  ) as StatusGrid;
  expect(grid.dates).toEqual(WEEK);
  // The catalogue commands see: the built-in pipelines, then the SQL ones of DAYBREAK_PIPELINES_DIR.
  const { catalogue } = await loadCatalogue(loadConfig());
  expect(grid.pipelines).toEqual(catalogue.names());
  expect(grid.pipelines.slice(0, PIPELINES.names().length)).toEqual(PIPELINES.names());
  const row = (p: string) => grid.cells.filter((c) => c.pipeline === p);
  expect(row('session-ranking').map((c) => c.state)).toEqual([
    'succeeded',
    'succeeded',
    'stale',
    'succeeded',
    'succeeded',
    'failed',
    'waiting',
  ]);
  const cells = row('session-ranking');
  expect(cells[2]!.detail).toMatch(
    new RegExp(`^input curated/upstream for ${d3} was republished at \\S+ by local/\\S+/upstream$`),
  );
  expect(cells[5]).toMatchObject({
    workflowId: `session-ranking/${d6}`,
    detail: `MissingInput: no user_activity Parquet files found at ${missing}`,
    url: expect.stringContaining(`session-ranking%2F${d6}`),
  });
  expect(cells[6]!.detail).toBe('waiting for curated/late-upstream');
  // The daily schedule runs every pipeline: a date without a run or an output is missing.
  expect(new Set(row('identity-join').map((c) => c.state))).toEqual(new Set(['missing']));

  const text = await statusHere('status', '--grid', '--days', '7', '--date', d7);
  expect(text).not.toContain('\x1b[');
  const lines = text.split('\n');
  expect(lines[0]).toMatch(/^\s+08-01 {2}08-02 {2}08-03 {2}08-04 {2}08-05 {2}08-06 {2}08-07$/);
  const srLine = lines.find((l) => l.startsWith('session-ranking'))!;
  expect(srLine.replace(/\s+/g, ' ')).toBe('session-ranking ✓ ✓ ~ ✓ ✓ ✗ …');
  // Each mark sits under its date.
  expect(srLine.indexOf('✗')).toBe(lines[0]!.indexOf('08-06') + 2);
  expect(text).toContain(
    `✗ session-ranking ${d6}: MissingInput: no user_activity Parquet files found at ${missing}  ${cells[5]!.url}`,
  );
  expect(text).toContain(`… session-ranking ${d7}: waiting for curated/late-upstream`);

  const coloured = renderGrid(grid, true);
  expect(coloured).toContain('\x1b[31m✗\x1b[0m');
  expect(coloured).toContain('\x1b[35m~\x1b[0m');
});
