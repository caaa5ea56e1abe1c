// SHA-256 of files on the pool's threads (lib/storage/sha256.ts): the same digest as hashing the
// bytes here, for an empty file, one of a few bytes and several of one or more read buffers, many
// at once (more files than threads), and a missing file fails with its file system's code.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { sha256File } from '../../lib/storage/sha256.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daybreak-sha256-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const expected = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

test('digests match the bytes, many files at once', async () => {
  const sizes = [0, 3, (1 << 20) - 1, 1 << 20, 3 * (1 << 20) + 17];
  for (let i = 0; i < 12; i++) sizes.push(i * 99_991);
  const files = sizes.map((size, i) => {
    const file = path.join(dir, `f${i}`);
    const bytes = randomBytes(size);
    fs.writeFileSync(file, bytes);
    return { file, digest: expected(bytes) };
  });
  const digests = await Promise.all(files.map((f) => sha256File(f.file)));
  expect(digests).toEqual(files.map((f) => f.digest));
});

test('a missing file fails with ENOENT, and the pool keeps working', async () => {
  await expect(sha256File(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  const file = path.join(dir, 'after');
  fs.writeFileSync(file, 'after');
  expect(await sha256File(file)).toBe(expected(Buffer.from('after')));
});
