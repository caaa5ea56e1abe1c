// The GCS backend against the real emulator: listing by folder, stat, text, a validated streaming
// download, a resumable upload of a larger file, delete; 404 and 403 as clear non-retryable failures.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FakeGcsServer } from '../../../devstack/fake-gcs.js';
import { GcsStorage } from '../../../lib/storage/gcs.js';
import {
  createBucket,
  startEmulator,
  startForbiddingProxy,
  type ForbiddingProxy,
} from '../../helpers/gcs.js';
import { tempDir } from '../../helpers/temporal.js';

let emulator: FakeGcsServer;
let proxy: ForbiddingProxy;
let gcs: GcsStorage;
const scratch = tempDir('gcs-test');

beforeAll(async () => {
  emulator = await startEmulator();
  await createBucket(emulator.url, 'lake');
  proxy = await startForbiddingProxy(emulator.url, ['secret/']);
  gcs = new GcsStorage({ apiEndpoint: emulator.url, resumableThresholdBytes: 1024 * 1024 });
});
afterAll(async () => {
  await proxy?.stop();
  await emulator?.stop();
});

describe('GcsStorage', () => {
  test('writes, lists a folder (not its namesakes), stats, reads and deletes', async () => {
    await gcs.writeText('gs://lake/raw/ds1/dt=2025-01-01/a.json', '{"a":1}');
    await gcs.writeText('gs://lake/raw/ds1/dt=2025-01-02/b.json', 'bb');
    await gcs.writeText('gs://lake/raw/ds10/c.json', 'c');
    const listed = await gcs.list('gs://lake/raw/ds1');
    expect(listed).toEqual([
      { uri: 'gs://lake/raw/ds1/dt=2025-01-01/a.json', size: 7 },
      { uri: 'gs://lake/raw/ds1/dt=2025-01-02/b.json', size: 2 },
    ]);
    expect(await gcs.stat('gs://lake/raw/ds1/dt=2025-01-02/b.json')).toEqual({
      uri: 'gs://lake/raw/ds1/dt=2025-01-02/b.json',
      size: 2,
    });
    expect(await gcs.stat('gs://lake/raw/nope.json')).toBeUndefined();
    expect(await gcs.readText('gs://lake/raw/ds1/dt=2025-01-01/a.json')).toBe('{"a":1}');
    await gcs.delete('gs://lake/raw/ds10/c.json');
    await gcs.delete('gs://lake/raw/ds10/c.json'); // idempotent
    expect(await gcs.list('gs://lake/raw/ds10')).toEqual([]);
    expect(await gcs.list('gs://no-such-bucket/x')).toEqual([]);
  });

  test('a resumable upload and a streaming download round-trip a 5 MB file byte for byte', async () => {
    const local = path.join(scratch, 'big.bin');
    const bytes = crypto.randomBytes(5 * 1024 * 1024);
    await fs.writeFile(local, bytes);
    await gcs.putFile(local, 'gs://lake/big/big.bin');
    await expect(fs.stat(local)).rejects.toThrow(); // moved, like a local rename
    expect((await gcs.stat('gs://lake/big/big.bin'))?.size).toBe(bytes.length);
    const staged = await gcs.stageIn('gs://lake/big/big.bin', path.join(scratch, 'stage'));
    expect(staged).toBe(path.join(scratch, 'stage', 'gcs', 'lake', 'big', 'big.bin'));
    expect(Buffer.compare(await fs.readFile(staged), bytes)).toBe(0);
  });

  test('a missing object is a non-retryable MissingInput naming it', async () => {
    const err = await gcs.stageIn('gs://lake/raw/missing.parquet', scratch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('MissingInput');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toContain('gs://lake/raw/missing.parquet');
  });

  test('HTTP 403 (from a forbidding proxy in front of the emulator) is a non-retryable PermissionDenied naming the object', async () => {
    await gcs.writeText('gs://lake/secret/x.parquet', 'x');
    const viaProxy = new GcsStorage({ apiEndpoint: proxy.url });
    for (const attempt of [
      () => viaProxy.stageIn('gs://lake/secret/x.parquet', scratch),
      () => viaProxy.stat('gs://lake/secret/x.parquet'),
      () => viaProxy.list('gs://lake/secret'),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('PermissionDenied');
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
      expect((err as ApplicationFailure).message).toMatch(/gs:\/\/lake\/secret/);
      expect((err as ApplicationFailure).message).toContain('does not have storage.objects.get access');
    }
    expect(proxy.refused.length).toBeGreaterThanOrEqual(3);
    // Everything else passes through the proxy untouched.
    expect(await viaProxy.readText('gs://lake/raw/ds1/dt=2025-01-01/a.json')).toBe('{"a":1}');
  });
});
