import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  findOrBuildTemporalCli,
  locateTemporalCli,
  TemporalCliNotFoundError,
} from '../../devstack/temporal-cli.js';
import { tempDir } from '../helpers/temporal.js';

function fakeBinary(dir: string, name = 'temporal'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, '#!/bin/sh\necho fake\n', { mode: 0o755 });
  return file;
}

describe('locating the Temporal CLI', () => {
  test('TEMPORAL_CLI wins, and a wrong one is named', () => {
    const bin = fakeBinary(tempDir('cli'));
    expect(locateTemporalCli({ explicitPath: bin, cacheDir: '/nonexistent' }, '')).toBe(bin);
    expect(() => locateTemporalCli({ explicitPath: '/no/such/temporal', cacheDir: '/x' }, '')).toThrow(
      /TEMPORAL_CLI points at \/no\/such\/temporal/,
    );
  });

  test('PATH comes before the cache folder', () => {
    const onPath = fakeBinary(tempDir('path'));
    const cache = tempDir('cache');
    fakeBinary(path.join(cache, 'bin'));
    expect(locateTemporalCli({ cacheDir: cache }, `/nonexistent:${path.dirname(onPath)}`)).toBe(onPath);
    expect(locateTemporalCli({ cacheDir: cache }, '/nonexistent')).toBe(path.join(cache, 'bin', 'temporal'));
  });

  test('without a binary and without Go, the error says how to get the CLI', async () => {
    const attempt = findOrBuildTemporalCli({ cacheDir: tempDir('empty') }, '/nonexistent');
    await expect(attempt).rejects.toThrow(TemporalCliNotFoundError);
    await expect(findOrBuildTemporalCli({ cacheDir: tempDir('empty') }, '/nonexistent')).rejects.toThrow(
      /Go is not installed.*go install github.com\/temporalio\/cli\/cmd\/temporal@v1.5.1.*TEMPORAL_CLI/s,
    );
  });
});
