// session-ranking with every path on the GCS emulator: inputs listed and staged from gs://, map
// output shuffled through gs:// (6 shards: a folder per bucket), outputs published there. The
// ranking equals the independent computation, and the output prefix ends up holding exactly the
// two outputs and the manifest (no intermediates).
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import type { FakeGcsServer } from '../../devstack/fake-gcs.js';
import { GcsStorage } from '../../lib/storage/gcs.js';
import { MANIFEST_NAME, readManifest } from '../../lib/storage/manifest.js';
import { logicalName, publishedFile } from '../../lib/storage/publish.js';
import { createBucket, startEmulator, uploadTree } from '../helpers/gcs.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';
import { expectedRanking, readAllRows, runSessionRanking } from '../helpers/session-ranking.js';

let env: TestWorker;
let emulator: FakeGcsServer;
let gcs: GcsStorage;
let dir: string;

beforeAll(async () => {
  emulator = await startEmulator();
  await createBucket(emulator.url, 'lake');
  gcs = new GcsStorage({ apiEndpoint: emulator.url });
  env = await startTestWorker(testConfig({ STORAGE_EMULATOR_HOST: emulator.url }));
  dir = tempDir('sr-gcs');
  await generateSessionRanking({
    rows: 40_000,
    users: 3_000,
    seed: 5,
    out: dir,
    year: 2024,
    rowsPerFile: 10_000,
  });
  for (const folder of ['user_activity', 'user_profile']) {
    await uploadTree(gcs, path.join(dir, folder), `gs://lake/raw/${folder}`);
  }
});
afterAll(async () => {
  await env?.stop();
  await emulator?.stop();
});

test('a run over gs:// inputs publishes the independently computed ranking to gs://, nothing else', async () => {
  const expected = expectedRanking(
    await readAllRows(path.join(dir, 'user_activity')),
    await readAllRows(path.join(dir, 'user_profile')),
  );
  const inputs = await gcs.list('gs://lake/raw');
  expect(inputs.filter((o) => o.uri.includes('/user_activity/')).length).toBe(4);
  const output = 'gs://lake/curated/session-ranking/2024';

  const result = await runSessionRanking(env.client, env.config, '2091-01-01', {
    activity: 'gs://lake/raw/user_activity',
    profile: 'gs://lake/raw/user_profile/*.parquet',
    output,
    shards: '6',
  });
  expect(result.shards).toBe(6);
  expect(result.ranking).toEqual(expected.ranking);
  expect(result).toMatchObject({
    year: 2024,
    inputRows: 40_000,
    rejectedRows: expected.rejectedRows,
    output,
  });

  expect(JSON.parse(await gcs.readText((await publishedFile(output, 'ranking.json'))!))).toEqual(
    expected.ranking,
  );
  const manifest = await readManifest(output);
  expect(manifest?.files.map((f) => logicalName(f.name, manifest))).toEqual([
    'ranking.json',
    'ranking.parquet',
  ]);
  expect(manifest?.report).toMatchObject({ inputRows: 40_000, shards: 6 });
  const listed = (await gcs.list('gs://lake/curated')).map((o) => o.uri).sort();
  expect(listed).toEqual(
    [`${output}/${MANIFEST_NAME}`, ...manifest!.files.map((f) => `${output}/${f.name}`)].sort(),
  );
  expect(await gcs.list('gs://lake/raw')).toEqual(inputs);
});
