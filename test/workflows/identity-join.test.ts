// identity-join end to end on the suite's dev server: the result equals the independent
// computation (plain TypeScript SHA-256 over the raw rows, duplicates and two-lvr_id visitors
// included), on local disk and on the GCS emulator, with the report and the manifest rule.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import type { IdentityJoinResult } from '../../activities/identity-join/types.js';
import type { FakeGcsServer } from '../../devstack/fake-gcs.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import { GcsStorage } from '../../lib/storage/gcs.js';
import { readManifest, MANIFEST_NAME } from '../../lib/storage/manifest.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import { canonical, expectedJoin, readRows } from '../helpers/identity-join.js';
import { createBucket, startEmulator, uploadTree } from '../helpers/gcs.js';
import {
  activityStarts,
  startTestWorker,
  testConfig,
  tempDir,
  type TestWorker,
} from '../helpers/temporal.js';

let env: TestWorker;
let emulator: FakeGcsServer;
let gcs: GcsStorage;
let dataDir: string;
const DAY = '2025-02-02'; // the middle of three partitions

beforeAll(async () => {
  emulator = await startEmulator();
  await createBucket(emulator.url, 'lake');
  gcs = new GcsStorage({ apiEndpoint: emulator.url });
  env = await startTestWorker(testConfig({ STORAGE_EMULATOR_HOST: emulator.url }));
  dataDir = tempDir('ij');
  await generateIdentityJoin({
    rows: 6_000,
    visitors: 2_000,
    seed: 11,
    out: dataDir,
    days: 3,
    startDate: '2025-02-01',
    ds1FilesPerDay: 2,
    ds2Files: 2,
  });
});
afterAll(async () => {
  await env?.stop();
  await emulator?.stop();
});

async function run(runDate: string, rawParams: Record<string, string>): Promise<IdentityJoinResult> {
  const handle = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'identity-join',
    runDate,
    rawParams,
  });
  return waitForRun<IdentityJoinResult>(handle);
}

async function localParquet(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((f) => f.endsWith('.parquet')).map((f) => path.join(dir, f));
}

let localRows: string[];

describe('identity-join', () => {
  test('local run over 3 shards equals the independent computation, with the report and manifest', async () => {
    const output = path.join(dataDir, 'out-local');
    const result = await run(DAY, {
      ds1: path.join(dataDir, 'visitor_events'),
      ds2: path.join(dataDir, 'liveramp'),
      output,
      shards: '3',
    });
    const ds1 = await readRows(await localParquet(path.join(dataDir, 'visitor_events', `dt=${DAY}`)));
    const ds2 = await readRows(await localParquet(path.join(dataDir, 'liveramp')));
    const expected = expectedJoin(ds1, ds2);
    const manifest = await readManifest(output);
    expect(manifest).toBeDefined();
    const files = manifest!.files.map((f) => path.join(output, f.name));
    const actual = await readRows(files);
    localRows = canonical(actual);
    expect(actual.length).toBe(expected.length);
    expect(localRows).toEqual(canonical(expected));

    // The data really has the awkward cases the rule must handle.
    const lvrPerVisitor = new Map<string, Set<unknown>>();
    for (const r of expected) {
      const s = lvrPerVisitor.get(String(r.visitor_id)) ?? new Set();
      s.add(r.lvr_id);
      lvrPerVisitor.set(String(r.visitor_id), s);
    }
    expect([...lvrPerVisitor.values()].some((s) => s.size === 2)).toBe(true);
    expect(ds2.length).toBeGreaterThan(new Set(ds2.map((r) => `${r.visitor_id}|${r.lvr_id}`)).size);

    const matched = ds1.filter(
      (r) => r.visitor_id !== null && lvrPerVisitor.has(String(r.visitor_id)),
    ).length;
    expect(result).toMatchObject({
      runDate: DAY,
      output,
      rowsIn: 6_000,
      matchedRows: matched,
      rowsOut: expected.length,
      ds2Rows: ds2.filter((r) => r.visitor_id !== null).length,
      shards: 3,
      tasks: 3,
      emptyPartition: false,
    });
    expect(result.matchRate).toBeCloseTo(matched / 6_000, 10);
    expect(result.matchRate).toBeGreaterThan(0.5);
    expect(result.matchRate).toBeLessThan(1);
    expect(result.bytesRead).toBeGreaterThan(0);
    expect(result.bytesWritten).toBe(manifest!.totals.bytes);
    expect(manifest!.totals.rows).toBe(expected.length);
    expect(manifest!.report).toMatchObject({ rowsIn: 6_000, rowsOut: expected.length, shards: 3 });
    for (const f of manifest!.files) expect(f.name).toMatch(/^part-\d{5}-\d{5}-[0-9a-f]{10}\.parquet$/);
    // Only the manifest and the files it lists (no _work, no temporaries).
    expect((await fs.readdir(output)).sort()).toEqual(
      [MANIFEST_NAME, ...manifest!.files.map((f) => f.name)].sort(),
    );
  });

  test('columns= keeps only the asked DS1 columns (plus lvr_id and sha2); a glob selects the date', async () => {
    const output = path.join(dataDir, 'out-cols');
    const result = await run('2025-02-03', {
      ds1: path.join(dataDir, 'visitor_events', '*', '*.parquet'),
      ds2: path.join(dataDir, 'liveramp'),
      columns: 'visitor_id,event_type',
      output,
    });
    const ds1 = await readRows(await localParquet(path.join(dataDir, 'visitor_events', 'dt=2025-02-03')));
    const ds2 = await readRows(await localParquet(path.join(dataDir, 'liveramp')));
    const expected = expectedJoin(ds1, ds2, ['visitor_id', 'event_type']);
    const manifest = await readManifest(output);
    const actual = await readRows(manifest!.files.map((f) => path.join(output, f.name)));
    expect(Object.keys(actual[0]!)).toEqual(['visitor_id', 'event_type', 'lvr_id', 'sha2']);
    expect(canonical(actual)).toEqual(canonical(expected));
    // One bucket: no hash step, the join task hashed DS2 itself and counted it.
    expect(result.shards).toBe(1);
    expect(result).toMatchObject({
      rowsOut: expected.length,
      ds2Rows: ds2.filter((r) => r.visitor_id !== null).length,
      matchedRows: ds1.filter((r) => ds2.some((d) => d.visitor_id !== null && d.visitor_id === r.visitor_id))
        .length,
    });
    const types = (await activityStarts(env.client, 'identity-join/2025-02-03')).map((s) => s.type);
    expect(types).not.toContain('hashDs2Group');
    expect(types.filter((t) => t === 'joinIdentityShard')).toHaveLength(1);
  });

  test('the same run on the GCS emulator gives the same rows; the bucket holds exactly the files and the manifest', async () => {
    expect(localRows).toBeDefined();
    await uploadTree(gcs, path.join(dataDir, 'visitor_events'), 'gs://lake/raw/ds1');
    await uploadTree(gcs, path.join(dataDir, 'liveramp'), 'gs://lake/raw/ds2');
    const inputsBefore = await gcs.list('gs://lake/raw');
    const output = `gs://lake/curated/identity-join/dt=${DAY}`;
    // The files of an older output must disappear when the new output is published.
    const stale = path.join(tempDir('ij-stale'), 'stale.parquet');
    await fs.writeFile(stale, 'stale');
    await publishLocalFiles(output, { pipeline: 'identity-join', runDate: DAY }, [
      { localPath: stale, name: 'part-00099-00000.parquet', rows: 1 },
    ]);
    const result = await run(DAY, {
      ds1: 'gs://lake/raw/ds1',
      ds2: 'gs://lake/raw/ds2/*.parquet',
      output,
      shards: '3',
    });
    expect(result.rowsIn).toBe(6_000);
    const manifest = await readManifest(output);
    expect(manifest).toBeDefined();
    const listed = (await gcs.list('gs://lake/curated')).map((o) => o.uri).sort();
    expect(listed).toEqual(
      [`${output}/${MANIFEST_NAME}`, ...manifest!.files.map((f) => `${output}/${f.name}`)].sort(),
    );
    const scratch = tempDir('ij-down');
    const staged = await Promise.all(manifest!.files.map((f) => gcs.stageIn(`${output}/${f.name}`, scratch)));
    expect(canonical(await readRows(staged))).toEqual(localRows);
    expect(await gcs.list('gs://lake/raw')).toEqual(inputsBefore);
  });

  test('a date with no DS1 partition is a clear 0-row result with an empty manifest', async () => {
    const output = path.join(dataDir, 'out-empty');
    const result = await run('2025-02-10', {
      ds1: path.join(dataDir, 'visitor_events'),
      ds2: path.join(dataDir, 'liveramp'),
      output,
    });
    expect(result).toMatchObject({
      rowsIn: 0,
      rowsOut: 0,
      matchRate: 0,
      files: 0,
      tasks: 0,
      emptyPartition: true,
    });
    expect(result.partition).toBe(path.join(dataDir, 'visitor_events', 'dt=2025-02-10'));
    const manifest = await readManifest(output);
    expect(manifest?.files).toEqual([]);
    expect(manifest?.report).toMatchObject({ emptyPartition: true, rowsIn: 0 });
  });
});
