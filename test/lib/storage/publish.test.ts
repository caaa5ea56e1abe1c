// The publish protocol (lib/storage/publish.ts) on the local disk and on the GCS emulator: the
// previous output stays valid until a new run commits, a manifest lists only its run's bytes, one
// run holds a prefix at a time (a dead run's lock is recovered), only Daybreak's files are ever
// deleted, and a prefix with foreign files or over an input is refused.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FakeGcsServer } from '../../../devstack/fake-gcs.js';
import { GcsStorage } from '../../../lib/storage/gcs.js';
import { registerGcsBackend, resolveDataset, storageFor } from '../../../lib/storage/index.js';
import { readManifest, sha256File } from '../../../lib/storage/manifest.js';
import {
  abortOutput,
  abortRunOutputs,
  commitOutput,
  openOutput,
  overlaps,
  putOutputFile,
  runScopedName,
  runTag,
  workPrefix,
  type OutputRef,
  type RunRef,
  type StagedFile,
} from '../../../lib/storage/publish.js';
import { createBucket, startEmulator } from '../../helpers/gcs.js';
import { tempDir } from '../../helpers/temporal.js';

let emulator: FakeGcsServer;
beforeAll(async () => {
  emulator = await startEmulator();
  await createBucket(emulator.url, 'publish');
  registerGcsBackend(() => new GcsStorage({ apiEndpoint: emulator.url }));
});
afterAll(async () => {
  await emulator?.stop();
});

/** Runs that count as running; everything else is closed. */
const running = new Set<string>();
const newRun = (name = 'p/2025-01-01'): RunRef => {
  const run = { workflowId: name, runId: randomUUID() };
  running.add(run.runId);
  return run;
};
const finish = (run: RunRef) => running.delete(run.runId);
const isRunOpen = async (run: RunRef) => running.has(run.runId);

const scratch = tempDir('publish-scratch');
function localFile(text: string): string {
  const file = path.join(scratch, randomUUID());
  fs.writeFileSync(file, text);
  return file;
}

async function names(prefix: string): Promise<string[]> {
  return (await storageFor(prefix).list(prefix)).map((o) => o.uri.slice(prefix.length + 1)).sort();
}

async function open(prefix: string, run: RunRef, extra: { inputs?: string[]; registry?: string } = {}) {
  return openOutput(prefix, {
    owner: { run, webUiUrl: `http://ui.test/${run.workflowId}/${run.runId}` },
    inputs: extra.inputs ?? [],
    registry: extra.registry,
    isRunOpen,
  });
}

/** The error a refused open fails with (the test fails if it succeeds). */
async function refusal(
  opening: Promise<unknown>,
): Promise<Error & { type?: string; nonRetryable?: boolean }> {
  const outcome = await opening.then(
    () => undefined,
    (e: unknown) => e as Error & { type?: string },
  );
  if (!outcome) throw new Error('expected the output to be refused');
  return outcome;
}

async function publish(out: OutputRef, files: Record<string, string>, registry?: string) {
  const staged: StagedFile[] = [];
  for (const [name, text] of Object.entries(files))
    staged.push(await putOutputFile(out, localFile(text), name, text.length));
  return commitOutput(out, { pipeline: 'p', runDate: '2025-01-01' }, staged, registry);
}

/** Every file the manifest lists exists with its size and checksum (read back from storage). */
async function verify(prefix: string): Promise<number> {
  const manifest = await readManifest(prefix);
  expect(manifest).toBeDefined();
  const dir = tempDir('verify');
  for (const f of manifest!.files) {
    const uri = `${prefix}/${f.name}`;
    const local = await storageFor(uri).stageIn(uri, dir);
    expect(fs.statSync(local).size).toBe(f.bytes);
    expect(await sha256File(local)).toBe(f.sha256);
  }
  return manifest!.files.length;
}

test('run-scoped names keep directories and extensions; overlap respects folder boundaries', () => {
  expect(runScopedName('pairs/part-00001.parquet', 'abc')).toBe('pairs/part-00001-abc.parquet');
  expect(runScopedName('ranking.json', 'abc')).toBe('ranking-abc.json');
  expect(runScopedName('x.snappy.parquet', 'abc')).toBe('x-abc.snappy.parquet');
  expect(runScopedName('LICENSE', 'abc')).toBe('LICENSE-abc');
  expect(runTag('r1')).toMatch(/^[0-9a-f]{10}$/);
  expect(overlaps('/data/out', '/data/out/x.parquet')).toBe(true);
  expect(overlaps('/data', '/data/raw/ds1')).toBe(true);
  expect(overlaps('/data/out', '/data/out2')).toBe(false);
  expect(overlaps('/data/raw/*/x.parquet', '/data/raw/a')).toBe(true);
  expect(overlaps('gs://b/out', 'gs://b/out/dt=1')).toBe(true);
  expect(overlaps('gs://b/out', '/b/out')).toBe(false);
});

describe.each([
  ['local disk', () => path.join(tempDir('publish'), 'out')],
  ['GCS emulator', () => `gs://publish/${randomUUID()}/out`],
])('on %s', (_label, newPrefix) => {
  test('a re-run keeps the previous output valid until it commits, then replaces it and only it', async () => {
    const prefix = newPrefix();
    const first = newRun();
    const a = await open(prefix, first);
    const m1 = await publish(a, { 'part-0.parquet': 'aaa', 'sub/part-1.parquet': 'bb' });
    finish(first);
    expect(m1.version).toBe(2);
    expect(m1.run).toEqual(first);
    expect(m1.files.map((f) => f.name)).toEqual([
      `part-0-${runTag(first.runId)}.parquet`,
      `sub/part-1-${runTag(first.runId)}.parquet`,
    ]);
    expect(m1.totals).toEqual({ files: 2, rows: 5, bytes: 5 });
    expect(m1.files.some((f) => 'fingerprint' in f)).toBe(false);
    // Someone drops their own files into the published output: never Daybreak's to delete.
    await storageFor(prefix).writeText(`${prefix}/notes.txt`, 'mine');

    const second = newRun();
    const b = await open(prefix, second);
    await storageFor(prefix).writeText(`${workPrefix(prefix, second.runId)}/map-0.parquet`, 'w');
    const staged = await putOutputFile(b, localFile('cccc'), 'part-0.parquet', 4);
    // Mid-run: the old manifest and every file it lists are intact; readers get exactly those.
    expect(await readManifest(prefix)).toEqual(m1);
    expect(await verify(prefix)).toBe(2);
    expect((await resolveDataset(prefix)).map((o) => o.uri.slice(prefix.length + 1))).toEqual(
      m1.files.map((f) => f.name),
    );
    const m2 = await commitOutput(b, { pipeline: 'p', runDate: '2025-01-01' }, [staged]);
    finish(second);
    expect(await names(prefix)).toEqual(['_SUCCESS', 'notes.txt', `part-0-${runTag(second.runId)}.parquet`]);
    expect(m2.files).toEqual([
      {
        name: `part-0-${runTag(second.runId)}.parquet`,
        rows: 4,
        bytes: 4,
        sha256: staged.sha256,
      },
    ]);
    expect(await verify(prefix)).toBe(1);
  });

  test('a second run is refused while the first holds the prefix; a dead run’s lock is recovered', async () => {
    const prefix = newPrefix();
    const first = newRun('p/2025-01-01');
    const a = await open(prefix, first);
    await putOutputFile(a, localFile('left over'), 'part-0.parquet', 1);
    await storageFor(prefix).writeText(`${workPrefix(prefix, first.runId)}/tmp.parquet`, 'w');
    // Opening again from a retried activity of the same run is fine.
    await open(prefix, first);

    const second = newRun('p/2025-01-02');
    const busy = await refusal(open(prefix, second));
    expect(busy).toMatchObject({ type: 'OutputBusy', nonRetryable: true });
    expect(busy.message).toContain(`is being written by run p/2025-01-01 (run id ${first.runId}`);
    expect(busy.message).toContain(`http://ui.test/p/2025-01-01/${first.runId}`);

    // The first run dies without cleaning up: its lock, staged file and _work stay behind...
    finish(first);
    const b = await open(prefix, second);
    // ...until the next run takes the prefix over and removes them.
    expect(await names(prefix)).toEqual(['_LOCK.000002']);
    await publish(b, { 'part-0.parquet': 'new' });
    expect(await names(prefix)).toEqual(['_SUCCESS', `part-0-${runTag(second.runId)}.parquet`]);
  });

  test('of many runs opening one free prefix at once, exactly one gets it', async () => {
    const prefix = newPrefix();
    const runs = Array.from({ length: 6 }, (_, i) => newRun(`p/run-${i}`));
    const outcomes = await Promise.allSettled(runs.map((r) => open(prefix, r)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((x) => x.status === 'rejected'))
      expect((o as PromiseRejectedResult).reason).toMatchObject({ type: 'OutputBusy' });
  });

  test('a prefix holding files but no Daybreak manifest is refused, naming a few of them', async () => {
    const prefix = newPrefix();
    const storage = storageFor(prefix);
    for (const n of ['notes.txt', 'other.parquet', 'sub/data.csv', 'a', 'b', 'c'])
      await storage.writeText(`${prefix}/${n}`, 'x');
    const run = newRun();
    const err = await refusal(open(prefix, run));
    expect(err).toMatchObject({ type: 'OutputNotEmpty', nonRetryable: true });
    expect(err.message).toMatch(
      /holds files that no Daybreak manifest lists \(a, b, c, notes.txt, other.parquet and 1 more\)/,
    );
    // Refused before any change: the files are all there, and no lock was left.
    expect(await names(prefix)).toEqual(['a', 'b', 'c', 'notes.txt', 'other.parquet', 'sub/data.csv']);
  });

  test('another tool’s _SUCCESS is not a manifest: its folder is foreign', async () => {
    const prefix = newPrefix();
    await storageFor(prefix).writeText(`${prefix}/_SUCCESS`, '');
    await storageFor(prefix).writeText(`${prefix}/part-00000.parquet`, 'spark');
    const err = await refusal(open(prefix, newRun()));
    expect(err.type).toBe('OutputNotEmpty');
    expect(err.message).toContain('_SUCCESS, part-00000.parquet');
  });

  test('abort removes what the run put; the previous output is untouched', async () => {
    const prefix = newPrefix();
    const first = newRun();
    await publish(await open(prefix, first), { 'part-0.parquet': 'good' });
    finish(first);
    const before = await readManifest(prefix);
    const second = newRun();
    const b = await open(prefix, second);
    await putOutputFile(b, localFile('half'), 'part-0.parquet', 1);
    await storageFor(prefix).writeText(`${workPrefix(prefix, second.runId)}/x`, 'w');
    await abortOutput(b);
    expect(await readManifest(prefix)).toEqual(before);
    expect(await verify(prefix)).toBe(1);
    expect(await names(prefix)).toEqual([
      '_LOCK.000001',
      '_SUCCESS',
      `part-0-${runTag(first.runId)}.parquet`,
    ]);
  });

  test('commit refuses a staged file rewritten after its checksum, and never lists another run’s file', async () => {
    const prefix = newPrefix();
    const run = newRun();
    const out = await open(prefix, run);
    const staged = await putOutputFile(out, localFile('original'), 'part-0.parquet', 1);
    await new Promise((r) => setTimeout(r, 20));
    await storageFor(prefix).writeText(`${prefix}/${staged.name}`, 'tampered');
    await expect(commitOutput(out, { pipeline: 'p', runDate: 'd' }, [staged])).rejects.toMatchObject({
      type: 'OutputChanged',
      message: expect.stringContaining('was rewritten after its checksum was taken'),
    });
    const foreign: StagedFile = { name: 'other-run.parquet', rows: 1, bytes: 1, sha256: 'x' };
    await expect(commitOutput(out, { pipeline: 'p', runDate: 'd' }, [foreign])).rejects.toMatchObject({
      type: 'OutputChanged',
    });
    expect(await readManifest(prefix)).toBeUndefined();
  });

  test('a commit retried after its manifest was written finishes the clean-up and changes nothing else', async () => {
    const prefix = newPrefix();
    const first = newRun();
    await publish(await open(prefix, first), { 'part-0.parquet': 'one' });
    finish(first);
    const second = newRun();
    const b = await open(prefix, second);
    const staged = [await putOutputFile(b, localFile('two'), 'part-0.parquet', 1)];
    const m = await commitOutput(b, { pipeline: 'p', runDate: 'd' }, staged);
    const again = await commitOutput(b, { pipeline: 'p', runDate: 'd' }, staged);
    expect(again).toEqual(m);
    expect(await names(prefix)).toEqual(['_SUCCESS', `part-0-${runTag(second.runId)}.parquet`]);
  });
});

describe('cross-run checks through the registry of open outputs', () => {
  const root = tempDir('publish-registry');
  const registry = path.join(root, '_daybreak', 'open');

  test("an output over this run's own input is refused as bad input", async () => {
    const err = await refusal(open(root, newRun(), { inputs: [path.join(root, 'raw', 'ds1')], registry }));
    expect(err).toMatchObject({ type: 'BadInput', nonRetryable: true });
    expect(err.message).toContain(`overlaps this run's input ${path.join(root, 'raw', 'ds1')}`);
  });

  test("an output over another running run's input, or nested in its output, is refused", async () => {
    const reader = newRun('reader/2025-01-01');
    const readerOut = await open(path.join(root, 'curated', 'reader'), reader, {
      inputs: [path.join(root, 'curated', 'upstream', 'dt=2025-01-01')],
      registry,
    });
    const writer = newRun('upstream/2025-01-01');
    const err = await refusal(open(path.join(root, 'curated', 'upstream'), writer, { registry }));
    expect(err.type).toBe('OutputBusy');
    expect(err.message).toContain(
      `overlaps the input ${path.join(root, 'curated', 'upstream', 'dt=2025-01-01')} of run reader/2025-01-01`,
    );
    const nested = await refusal(
      open(path.join(root, 'curated', 'reader', 'sub'), newRun('x/1'), { registry }),
    );
    expect(nested.message).toContain('overlaps the output');
    // Once the reader has finished, its registration is stale and no longer blocks anyone.
    await publish(readerOut, { 'r.parquet': 'r' }, registry);
    finish(reader);
    await open(path.join(root, 'curated', 'upstream'), writer, { registry });
  });

  test('a failed run aborts every output it had open', async () => {
    const run = newRun('multi/2025-01-01');
    const outs = [path.join(root, 'multi', 'a'), path.join(root, 'multi', 'b')];
    for (const prefix of outs) {
      const out = await open(prefix, run, { registry });
      await putOutputFile(out, localFile('x'), 'part-0.parquet', 1);
    }
    expect((await abortRunOutputs(registry, run)).sort()).toEqual(outs);
    for (const prefix of outs) expect(await names(prefix)).toEqual(['_LOCK.000001']);
    expect(await abortRunOutputs(registry, run)).toEqual([]);
  });
});
