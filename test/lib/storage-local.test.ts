import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { resolveDataset, joinUri, parseGcsUri } from '../../lib/storage/index.js';
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
