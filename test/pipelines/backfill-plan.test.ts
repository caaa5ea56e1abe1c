// Planning a backfill from the manifests (pipelines/backfill.ts), on a catalogue of two test
// pipelines `up` -> `down` (down reads up's output): which dates each reprocess mode picks and
// why, --downstream adding the readers of a re-run output with their dependency, and the request
// errors. Lineage is written as a run records it (lib/lineage.ts lineageOf before it reads).
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { lineageOf } from '../../lib/lineage.js';
import { MANIFEST_NAME } from '../../lib/storage/manifest.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import { pipelineOutput } from '../../lib/datasets.js';
import { planBackfill } from '../../pipelines/backfill.js';
import { makeCatalogue } from '../../pipelines/catalogue.js';
import { fakePipeline } from '../helpers/fake-pipelines.js';
import { tempDir, testConfig } from '../helpers/temporal.js';

const catalogue = makeCatalogue([fakePipeline('up'), fakePipeline('down', { source: pipelineOutput('up') })]);
const DATES = ['2014-03-01', '2014-03-02', '2014-03-03'];

function setup() {
  const root = tempDir('backfill-plan');
  const config = testConfig({ DAYBREAK_DATA_ROOT: root });
  const out = (pipeline: string, date: string) => path.join(root, 'curated', pipeline, `dt=${date}`);
  /** Publishes `pipeline` for `date` with the lineage of what it read (as a run records it). */
  const publish = async (pipeline: string, date: string, inputs: string[] = []) => {
    const lineage = await lineageOf(inputs, date, root);
    const file = path.join(tempDir('part'), 'part-0.txt');
    await fs.writeFile(file, `${pipeline} ${date} ${Date.now()}\n`);
    const prefix = out(pipeline, date);
    const manifest = await publishLocalFiles(prefix, { pipeline, runDate: date }, [
      { localPath: file, name: 'part-0.txt', rows: 1 },
    ]);
    await fs.writeFile(
      path.join(prefix, MANIFEST_NAME),
      JSON.stringify({ ...manifest, inputs: lineage }, null, 2),
    );
  };
  const plan = (pipelines: string[], reprocess: 'missing' | 'stale' | 'all', downstream = false) =>
    planBackfill({
      catalogue,
      config,
      pipelines,
      from: DATES[0]!,
      to: DATES[2]!,
      reprocess,
      downstream,
    });
  return { root, out, publish, plan };
}

const rows = (items: { pipeline: string; runDate: string; reason: string }[]) =>
  items.map((i) => `${i.pipeline} ${i.runDate} ${i.reason}`);

test('missing picks the dates without a published output; all picks every date', async () => {
  const { publish, plan, out } = setup();
  await publish('up', DATES[1]!);
  const missing = await plan(['up'], 'missing');
  expect(rows(missing.items)).toEqual([
    `up ${DATES[0]} missing: no published output at ${out('up', DATES[0]!)}`,
    `up ${DATES[2]} missing: no published output at ${out('up', DATES[2]!)}`,
  ]);
  expect(missing.left).toMatchObject([
    { pipeline: 'up', runDate: DATES[1], why: expect.stringMatching(/^published .* \(1 rows\)$/) },
  ]);
  expect(missing.items[0]!.params).toEqual({ output: out('up', DATES[0]!) });
  expect(missing.items[0]!.workflowType).toBe('sessionRanking');

  const all = await plan(['up'], 'all');
  expect(all.items.map((i) => [i.runDate, i.reason])).toEqual(DATES.map((d) => [d, 'all']));
});

test('stale picks an output whose input was republished after it; missing leaves it alone', async () => {
  const { publish, plan, out } = setup();
  for (const d of DATES) {
    await publish('up', d);
    await publish('down', d, [out('up', d)]);
  }
  expect((await plan(['down'], 'stale')).items).toEqual([]);
  await publish('up', DATES[1]!); // an upstream re-run of one date

  const stale = await plan(['down'], 'stale');
  expect(stale.items).toHaveLength(1);
  expect(stale.items[0]!.runDate).toBe(DATES[1]);
  expect(stale.items[0]!.reason).toMatch(
    new RegExp(`^stale: input curated/up for ${DATES[1]} was republished at \\S+ by local/\\S+/up$`),
  );
  expect((await plan(['down'], 'missing')).items).toEqual([]);
});

test('--downstream adds the readers of each re-run output, after it on the same date', async () => {
  const { publish, plan } = setup();
  for (const d of DATES) await publish('down', d);
  await publish('up', DATES[0]!);
  const { items, left } = await plan(['up'], 'missing', true);
  expect(items.map((i) => [i.pipeline, i.runDate, i.reason, i.dependsOn])).toEqual([
    ['up', DATES[1], expect.stringMatching(/^missing/), []],
    ['down', DATES[1], 'downstream of up', ['up']],
    ['up', DATES[2], expect.stringMatching(/^missing/), []],
    ['down', DATES[2], 'downstream of up', ['up']],
  ]);
  // up of the first date is published: neither it nor its reader runs.
  expect(left.map((l) => [l.pipeline, l.runDate])).toEqual([['up', DATES[0]]]);
});

test('a request that cannot be planned says why', async () => {
  const { plan } = setup();
  await expect(plan(['nope'], 'missing')).rejects.toThrow(/nope/);
  const root = tempDir('backfill-plan');
  await expect(
    planBackfill({
      catalogue,
      config: testConfig({ DAYBREAK_DATA_ROOT: root }),
      pipelines: ['up'],
      from: '2014-03-05',
      to: '2014-03-01',
      reprocess: 'missing',
    }),
  ).rejects.toThrow('--from 2014-03-05 is after --to 2014-03-01');
  await expect(
    planBackfill({
      catalogue,
      config: testConfig({ DAYBREAK_DATA_ROOT: root }),
      pipelines: ['up'],
      from: '2010-01-01',
      to: '2016-01-01',
      reprocess: 'all',
    }),
  ).rejects.toThrow(/more than 2000 in one request; split the date range/);
});
