// `daybreak models evaluate --churn`: the derived next day has the asked share of records changed,
// and persistent ids keep far more unchanged records on their id than smallest-record ids do.
import path from 'node:path';
import { expect, test } from 'vitest';
import { generateCustomers } from '../../../datagen/customers.js';
import { measureIdentityChurn } from '../../../activities/model-scoring/churn.js';
import { loadConfig } from '../../../lib/config.js';
import { loadModel } from '../../../lib/identity/registry.js';
import { tempDir } from '../../helpers/temporal.js';

test('5% of 4,000 records changed: counts add up, persistent ids churn less than smallest-record ids', async () => {
  const dir = tempDir('identity-churn');
  const config = loadConfig({
    DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch'),
    DAYBREAK_DUCKDB_THREADS: '2',
  });
  const gen = await generateCustomers({ records: 4000, seed: 8, out: path.join(dir, 'gen') });
  const [churn] = await measureIdentityChurn(
    config,
    gen.recordsDir,
    [await loadModel(config.DAYBREAK_MODELS_DIR, 'v2')],
    5,
  );
  const c = churn!;
  expect(c.version).toBe('v2');
  expect(c.records.day1).toBe(4000);
  const changed = c.records.day1 - c.records.unchanged;
  expect(changed / 4000).toBeGreaterThan(0.04);
  expect(changed / 4000).toBeLessThan(0.06);
  // A third removed, a third joined by a new record: day 2 differs from day 1 by their difference.
  expect(Math.abs(c.records.day2 - c.records.day1)).toBeLessThan(changed / 3);
  expect(c.churn.smallestRecord).toBeCloseTo(c.changedIds.smallestRecord / c.records.unchanged, 12);
  expect(c.changedIds.smallestRecord).toBeGreaterThan(10);
  expect(c.changedIds.persistent).toBeLessThan(c.changedIds.smallestRecord / 3);
});
