// Smoke test of the foundation: a session-ranking run on the suite's dev server, through a real
// worker, publishes a manifest and a 12-month ranking.
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { logicalName } from '../../lib/storage/publish.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import type { SessionRankingResult } from '../../activities/session-ranking/types.js';
import { startTestWorker, testConfig, tempDir, type TestWorker } from '../helpers/temporal.js';

let env: TestWorker;
let dataDir: string;

beforeAll(async () => {
  env = await startTestWorker(testConfig());
  dataDir = tempDir('sr-smoke');
  await generateSessionRanking({ rows: 20_000, users: 2_000, seed: 7, out: dataDir, year: 2024 });
});
afterAll(async () => env?.stop());

test('a run publishes a 12-month ranking with a manifest', async () => {
  const output = path.join(dataDir, 'out');
  const handle = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'session-ranking',
    runDate: '2024-12-31',
    rawParams: {
      activity: path.join(dataDir, 'user_activity'),
      profile: path.join(dataDir, 'user_profile'),
      output,
    },
  });
  expect(handle.workflowId).toBe('session-ranking/2024-12-31');
  const result = await waitForRun<SessionRankingResult>(handle);
  expect(Object.keys(result.ranking)).toHaveLength(12);
  expect(result.ranking.Jan).toHaveLength(10);
  expect(result.inputRows).toBe(20_000);
  expect(result.rejectedRows).toBeGreaterThan(0);
  const manifest = await readManifest(output);
  expect(manifest?.files.map((f) => logicalName(f.name, manifest))).toEqual([
    'ranking.json',
    'ranking.parquet',
  ]);
});
