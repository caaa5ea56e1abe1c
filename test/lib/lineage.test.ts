// lineageOf as runs call it when they open their output: an input that is a single file (a
// records file, not a folder) has no manifest under it and is recorded by name and place.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { lineageOf } from '../../lib/lineage.js';

test('a file input is recorded without a manifest, not an ENOTDIR failure', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'lineage-'));
  const file = path.join(root, 'raw', 'customer_records', 'part-00000.parquet');
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, 'not really parquet');
  expect(await lineageOf([file], '2025-01-01', root)).toEqual([
    { dataset: 'raw/customer_records', uri: file },
  ]);
  await fs.rm(root, { recursive: true });
});
