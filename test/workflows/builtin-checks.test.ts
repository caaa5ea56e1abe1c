// Data-quality checks declared by a built-in pipeline's definition: identity-join's match rate runs
// before its manifest. A healthy day records the check in the manifest; a DS2 export short of most
// visitors fails the run once (non-retryable DataQuality naming the figure and the limit) and
// publishes nothing.
import fs from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import { sqlString } from '../../lib/duckdb.js';
import { waitForRun } from '../../lib/runs.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { curatedOutput } from '../../lib/paths.js';
import { PIPELINES } from '../../pipelines/index.js';
import { startRun } from '../../pipelines/runs.js';
import { activityStarts, startTestWorker, testConfig, type TestWorker } from '../helpers/temporal.js';

const DAY = '2025-05-01';
let env: TestWorker;
let root: string;
let ds2Dir: string;

beforeAll(async () => {
  const config = testConfig();
  root = config.DAYBREAK_DATA_ROOT;
  const generated = await generateIdentityJoin({
    rows: 2_000,
    visitors: 500,
    seed: 13,
    out: path.join(root, 'raw'),
    days: 1,
    startDate: DAY,
    ds1FilesPerDay: 1,
    ds2Files: 1,
  });
  ds2Dir = generated.ds2Dir;
  env = await startTestWorker(config);
});
afterAll(async () => env?.stop());

const run = (rawParams: Record<string, string> = {}) =>
  startRun({
    client: env.client,
    config: env.config,
    pipeline: 'identity-join',
    runDate: DAY,
    rawParams,
  }).then((handle) => waitForRun<{ matchRate: number }>(handle));

test("identity-join's declared match-rate check: recorded when it passes, one DataQuality failure when it does not", async () => {
  expect(PIPELINES.get('identity-join').checks).toEqual({ report: { matchRate: { min: 0.5 } } });
  const ok = await run();
  expect(ok.matchRate).toBeGreaterThan(0.5);
  const prefix = curatedOutput(root, 'identity-join', DAY);
  const published = (await readManifest(prefix))!;
  expect(published.report).toMatchObject({
    checks: [{ check: 'report.matchRate.min', status: 'passed', figure: ok.matchRate, limit: '>= 0.5' }],
  });

  // A DS2 export holding a tenth of its visitors: most DS1 rows find no match.
  const short = path.join(root, 'raw', 'liveramp-short');
  await fs.mkdir(short, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(
    `COPY (SELECT * FROM read_parquet(${sqlString(path.join(ds2Dir, '*.parquet'))}) WHERE hash(visitor_id) % 10 = 0)
     TO ${sqlString(path.join(short, 'part-0.parquet'))} (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();
  const err = await run({ ds2: short }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  let cause = (err as Error).cause as (Error & { type?: string }) | undefined;
  while (cause?.cause instanceof Error) cause = cause.cause as Error & { type?: string };
  expect(cause?.type).toBe('DataQuality');
  expect(cause?.message).toMatch(
    new RegExp(
      `^identity-join ${DAY}: 1 of 1 data-quality checks failed; .*check report\\.matchRate\\.min failed: 0\\.\\d+, limit >= 0\\.5$`,
    ),
  );
  const starts = await activityStarts(env.client, `identity-join/${DAY}`);
  expect(starts.filter((s) => s.type === 'publishIdentityJoin').map((s) => s.attempt)).toEqual([1]);
  // The failed re-run published nothing: the passing run's output is still the published one, and
  // every file its manifest lists is still there (publish protocol, #14).
  const after = (await readManifest(prefix))!;
  expect(after).toEqual(published);
  for (const f of after.files) await expect(fs.stat(path.join(prefix, f.name))).resolves.toBeDefined();
});
