// Lineage and freshness on the real dev server, over a real chain: the export publishes a DS1
// partition -> identity-join -> visits-by-country (the test pipeline). Each manifest records the
// run that published it and, per input, the dataset, date and digest of the manifest it read; a
// re-run of an upstream date makes its downstream stale (`datasets show`, `status` say so), a
// `failed` re-run leaves it alone, and a `stale` re-run rebuilds exactly what is stale and
// everything downstream of it.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { datasetsCommand } from '../../cli/commands/datasets.js';
import { statusCommand, type RunStatus } from '../../cli/commands/status.js';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import type { DailyResult, RerunMode } from '../../lib/contracts/daily.js';
import { freshnessOf, lineageInputs } from '../../lib/lineage.js';
import { MANIFEST_NAME, readManifest } from '../../lib/storage/manifest.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import { catalogue } from '../../pipelines/index.js';
import { buildBranches } from '../../pipelines/dag.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';
import visitsByCountry from '../pipelines/visits-by-country/definition.js';

const RUN_DATE = '2024-09-17';
const cat = catalogue([visitsByCountry]);
let env: TestWorker;
let root: string;
let ds1Files: string;
const partition = () => path.join(root, 'raw', 'visitor_events', `dt=${RUN_DATE}`);
const joined = () => path.join(root, 'curated', 'identity-join', `dt=${RUN_DATE}`);
const visits = () => path.join(root, 'curated', 'visits-by-country', `dt=${RUN_DATE}`);

/** The export (an upstream outside Daybreak) publishes the date's DS1 partition, again on each call. */
async function publishExport(): Promise<void> {
  // Publishing moves the files in: publish copies, keeping the generated files for the next time.
  const copies = tempDir('ds1');
  const files = (await fs.readdir(ds1Files)).filter((f) => f.endsWith('.parquet')).sort();
  for (const f of files) await fs.copyFile(path.join(ds1Files, f), path.join(copies, f));
  await publishLocalFiles(
    partition(),
    { pipeline: 'export', runDate: RUN_DATE },
    files.map((f) => ({ localPath: path.join(copies, f), name: f, rows: 0 })),
  );
}

beforeAll(async () => {
  const config = testConfig();
  root = config.DAYBREAK_DATA_ROOT;
  const generated = await generateIdentityJoin({
    rows: 2_000,
    visitors: 500,
    seed: 33,
    out: path.join(root, 'raw'),
    days: 1,
    startDate: RUN_DATE,
    ds1FilesPerDay: 2,
    ds2Files: 1,
  });
  ds1Files = `${path.join(generated.ds1Dir, `dt=${RUN_DATE}`)}.generated`;
  await fs.rename(partition(), ds1Files);
  await publishExport();
  env = await startTestWorker(config, {
    catalogue: cat,
    extraWorkflowModules: [
      fileURLToPath(new URL('../pipelines/visits-by-country/workflow.ts', import.meta.url)),
    ],
  });
});
afterAll(async () => env?.stop());

let dagRuns = 0;
async function runDag(pipelines: string[], rerun: RerunMode): Promise<Record<string, string>> {
  const handle = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `daily/${RUN_DATE}-lineage-${++dagRuns}`,
    args: [
      {
        runDate: RUN_DATE,
        branches: buildBranches({ catalogue: cat, pipelines, dataRoot: root }),
        rerun,
        sensor: { pokeIntervalMs: 200, timeoutMs: 60_000 },
      },
    ],
  });
  const result = (await handle.result()) as DailyResult;
  return Object.fromEntries(result.outcomes.map((o) => [o.pipeline, o.status]));
}

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');

/** Runs a `daybreak` subcommand in this process against the test's server and data root; its stdout. */
async function cli(command: Command, ...args: string[]): Promise<string> {
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
    await new Command('daybreak').exitOverride().addCommand(command).parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

/** `daybreak status identity-join --json`: its row for RUN_DATE (other tests run other dates). */
async function joinStatus(): Promise<RunStatus> {
  const rows = JSON.parse(await cli(statusCommand(), 'status', 'identity-join', '--json')) as RunStatus[];
  return rows.find((r) => r.logicalDate === RUN_DATE)!;
}

test('manifests record their run and the digest of each input manifest read; upstream re-runs make the downstream stale; --rerun stale rebuilds it', async () => {
  expect(await runDag(['identity-join', 'visits-by-country'], 'all')).toEqual({
    'identity-join': 'completed',
    'visits-by-country': 'completed',
  });

  // identity-join read the export's DS1 partition (its manifest's digest) and LiveRamp (no manifest).
  const join = (await readManifest(joined()))!;
  expect(join.run?.workflowId).toBe(`identity-join/${RUN_DATE}`);
  const exportManifest = (await readManifest(partition()))!;
  expect(lineageInputs(join)).toEqual([
    {
      dataset: 'raw/visitor_events',
      date: RUN_DATE,
      uri: path.join(root, 'raw', 'visitor_events'),
      manifest: partition(),
      digest: await sha256(path.join(partition(), MANIFEST_NAME)),
      publishedAt: exportManifest.createdAt,
      run: exportManifest.run,
    },
    { dataset: 'raw/liveramp', uri: path.join(root, 'raw', 'liveramp') },
  ]);
  // visits-by-country read identity-join's output: the digest of the manifest just checked.
  const byCountry = (await readManifest(visits()))!;
  expect(byCountry.run?.workflowId).toBe(`visits-by-country/${RUN_DATE}`);
  expect(lineageInputs(byCountry)).toEqual([
    {
      dataset: 'curated/identity-join',
      date: RUN_DATE,
      uri: joined(),
      manifest: joined(),
      digest: await sha256(path.join(joined(), MANIFEST_NAME)),
      publishedAt: join.createdAt,
      run: join.run,
    },
  ]);
  expect((await freshnessOf(byCountry)).state).toBe('fresh');
  // `datasets show` (the product catalogue: identity-join) on the real run, with what it read.
  const fresh = await cli(datasetsCommand(), 'datasets', 'show', 'curated/identity-join', '--date', RUN_DATE);
  expect(fresh).toMatch(
    new RegExp(`^${RUN_DATE} +${join.totals.rows} +${join.totals.files} +.* fresh +http`, 'm'),
  );
  expect(fresh).toContain(encodeURIComponent(`identity-join/${RUN_DATE}`));
  expect(fresh).toMatch(
    new RegExp(`^raw/visitor_events +${RUN_DATE} +${join.inputs![0]!.digest!.toString().slice(0, 12)} `, 'm'),
  );
  expect(fresh).toMatch(/^raw\/liveramp +- +\(no manifest\)/m);

  // A re-run of the upstream date alone: the downstream is now built on a replaced output.
  expect(await runDag(['identity-join'], 'all')).toEqual({ 'identity-join': 'completed' });
  const rejoined = (await readManifest(joined()))!;
  expect(rejoined.run?.runId).not.toBe(join.run?.runId);
  const stale = await freshnessOf((await readManifest(visits()))!);
  expect(stale).toEqual({
    state: 'stale',
    reasons: [
      `input curated/identity-join for ${RUN_DATE} was republished at ${rejoined.createdAt} by identity-join/${RUN_DATE}`,
    ],
  });
  const listed = JSON.parse(await cli(datasetsCommand(), 'datasets', 'list', '--json')) as {
    dataset: string;
    stale: string[];
    partitions: number;
  }[];
  expect(listed.find((d) => d.dataset === 'curated/identity-join')).toMatchObject({
    partitions: 1,
    stale: [],
  });
  expect(await joinStatus()).toMatchObject({ state: 'COMPLETED', attempts: 2 });
  expect((await joinStatus()).stale).toBeUndefined();

  // `failed` leaves a completed, published branch alone even when stale; `stale` rebuilds it.
  expect(await runDag(['identity-join', 'visits-by-country'], 'failed')).toEqual({
    'identity-join': 'up-to-date',
    'visits-by-country': 'up-to-date',
  });
  expect(await runDag(['identity-join', 'visits-by-country'], 'stale')).toEqual({
    'identity-join': 'up-to-date',
    'visits-by-country': 'completed',
  });
  expect((await freshnessOf((await readManifest(visits()))!)).state).toBe('fresh');

  // The export republishes the date: identity-join is stale, and a stale re-run rebuilds it and
  // everything downstream (visits-by-country was fresh until its input is rebuilt).
  await publishExport();
  expect((await freshnessOf((await readManifest(joined()))!)).state).toBe('stale');
  expect((await joinStatus()).stale).toMatch(
    new RegExp(`^input raw/visitor_events for ${RUN_DATE} was republished at .* by local/`),
  );
  const shown = JSON.parse(
    await cli(datasetsCommand(), 'datasets', 'show', 'curated/identity-join', '--json'),
  ) as { date: string; freshness: string; staleBecause: string[]; run: { url: string } }[];
  expect(shown).toMatchObject([{ date: RUN_DATE, freshness: 'stale' }]);
  expect(shown[0]!.staleBecause[0]).toMatch(/^input raw\/visitor_events for .* was republished at /);
  const relisted = JSON.parse(await cli(datasetsCommand(), 'datasets', 'list', '--json')) as {
    dataset: string;
    stale: string[];
  }[];
  expect(relisted.find((d) => d.dataset === 'curated/identity-join')!.stale).toEqual([RUN_DATE]);
  expect((await freshnessOf((await readManifest(visits()))!)).state).toBe('fresh');
  expect(await runDag(['identity-join', 'visits-by-country'], 'stale')).toEqual({
    'identity-join': 'completed',
    'visits-by-country': 'completed',
  });
  for (const prefix of [joined(), visits()])
    expect((await freshnessOf((await readManifest(prefix))!)).state).toBe('fresh');
  expect(await runDag(['identity-join', 'visits-by-country'], 'stale')).toEqual({
    'identity-join': 'up-to-date',
    'visits-by-country': 'up-to-date',
  });
});
