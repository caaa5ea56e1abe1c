import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { resolveDataset, joinUri, parseGcsUri } from '../../lib/storage/index.js';
import {
  beginOutput,
  commitOutput,
  putOutputFile,
  readManifest,
  sha256File,
} from '../../lib/storage/manifest.js';
import { tempDir } from '../helpers/temporal.js';

function write(file: string, text = 'x') {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe('resolveDataset', () => {
  const root = tempDir('storage');
  write(path.join(root, 'ds/dt=2025-01-01/a.parquet'));
  write(path.join(root, 'ds/dt=2025-01-02/b.parquet'));
  write(path.join(root, 'ds/dt=2025-01-02/_SUCCESS'));
  write(path.join(root, 'ds/dt=2025-01-02/.c.parquet.tmp'));
  write(path.join(root, 'ds/notes.txt'));

  test('a folder lists its Parquet files recursively, skipping manifests and hidden files', async () => {
    const files = await resolveDataset(path.join(root, 'ds'));
    expect(files.map((f) => path.relative(root, f.uri))).toEqual([
      'ds/dt=2025-01-01/a.parquet',
      'ds/dt=2025-01-02/b.parquet',
    ]);
  });

  test('a glob matches', async () => {
    const files = await resolveDataset(path.join(root, 'ds/dt=2025-01-02/*.parquet'));
    expect(files.map((f) => path.basename(f.uri))).toEqual(['b.parquet']);
  });

  test('a single file is itself', async () => {
    const files = await resolveDataset(path.join(root, 'ds/dt=2025-01-01/a.parquet'));
    expect(files).toHaveLength(1);
    expect(files[0]!.size).toBe(1);
  });

  test('a missing path is empty', async () => {
    expect(await resolveDataset(path.join(root, 'nope'))).toEqual([]);
  });
});

describe('uris', () => {
  test('gs URIs join and parse', () => {
    expect(joinUri('gs://b/p/', 'x', '/y.parquet')).toBe('gs://b/p/x/y.parquet');
    expect(parseGcsUri('gs://bucket/a/b')).toEqual({ bucket: 'bucket', key: 'a/b' });
    expect(() => parseGcsUri('gs://')).toThrow(/not a valid GCS URI/);
  });
});

describe('the manifest rule', () => {
  test('a re-run replaces the output completely and the manifest comes last', async () => {
    const out = path.join(tempDir('publish'), 'out');
    const scratch = tempDir('scratch');
    // First run: two files.
    await beginOutput(out);
    write(path.join(scratch, 'a'), 'aaa');
    write(path.join(scratch, 'b'), 'bb');
    const first = [
      await putOutputFile(out, path.join(scratch, 'a'), 'part-0.parquet', 3),
      await putOutputFile(out, path.join(scratch, 'b'), 'part-1.parquet', 2),
    ];
    await commitOutput(out, { pipeline: 'p', runDate: '2025-01-01' }, first);
    expect((await readManifest(out))?.totals).toEqual({ files: 2, rows: 5, bytes: 5 });

    // Second run: a crash left a stray work file; the new output has one file.
    await beginOutput(out);
    expect(await readManifest(out)).toBeUndefined();
    write(path.join(out, '_work/run/map-0.parquet'));
    write(path.join(scratch, 'c'), 'cccc');
    const second = [await putOutputFile(out, path.join(scratch, 'c'), 'part-0.parquet', 4)];
    const manifest = await commitOutput(
      out,
      { pipeline: 'p', runDate: '2025-01-01', report: { rowsIn: 9 } },
      second,
    );
    expect(fs.readdirSync(out).sort()).toEqual(['_SUCCESS', 'part-0.parquet']);
    expect(manifest.files[0]).toEqual({
      name: 'part-0.parquet',
      rows: 4,
      bytes: 4,
      sha256: await sha256File(path.join(out, 'part-0.parquet')),
    });
    expect((await readManifest(out))?.report).toEqual({ rowsIn: 9 });
  });
});
