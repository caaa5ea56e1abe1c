// Training draws samples (random pairs for u, capped EM sessions, blocking's anchor records) that
// must depend on the records alone, not on their rids: rid was once the order a multi-threaded
// join left the rows in, which differed between runs on large inputs (300k records trained two
// different models from the same files before the samples keyed on record_id); keyRecords now
// numbers in record_id order, but a sample must not lean on that. Here the same records are
// renumbered in reverse and every sample, and the trained model, must come out the same.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateIntlCustomers } from '../../../datagen/customers-intl.js';
import { proposeBlocking } from '../../../lib/identity/blocking-choice.js';
import { trainableComparisons, usableComparisons } from '../../../lib/identity/comparisons.js';
import { keyPairPatterns, randomPairPatterns } from '../../../lib/identity/engine.js';
import type { FieldPresence } from '../../../lib/identity/fields.js';
import { prepareRecords } from '../../../lib/identity/prepare.js';
import { estimateMU, trainModel } from '../../../lib/identity/train.js';
import { inMemoryDuckDB } from '../../helpers/duckdb.js';

const db = inMemoryDuckDB();
const MAX_BLOCK = 1000;
let dir: string;
let files: string[];
let fields: FieldPresence;
let records: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sampling-'));
  const out = await generateIntlCustomers({ records: 3000, seed: 5, out: dir });
  files = fs
    .readdirSync(out.recordsDir)
    .filter((f) => f.endsWith('.parquet'))
    .map((f) => path.join(out.recordsDir, f));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function prepare(): Promise<void> {
  const prepared = await prepareRecords(db.conn, { files, shards: 1, maxBlockSize: MAX_BLOCK });
  fields = prepared.fields;
  records = prepared.records;
}

/** The same rows, numbered the other way round (still 0..n-1). */
async function reverseRids(): Promise<void> {
  await db.conn.run(
    `CREATE OR REPLACE TABLE prep AS SELECT * REPLACE ((${records} - 1 - rid)::INTEGER AS rid) FROM prep ORDER BY rid DESC`,
  );
}

/** Runs `sample` on the prepared records, then on the same records renumbered. */
async function bothNumberings<T>(sample: () => Promise<T>): Promise<[T, T]> {
  await prepare();
  const first = await sample();
  await prepare();
  await reverseRids();
  return [first, await sample()];
}

test('random pairs for u are the same whatever the rids', async () => {
  const comps = () => usableComparisons(trainableComparisons('once'), fields.present);
  const [a, b] = await bothNumberings(() => randomPairPatterns(db.conn, comps(), { pairs: 20_000 }));
  expect(a.pairs).toBeGreaterThan(15_000);
  expect(b).toEqual(a);
});

test('a capped EM session samples the same pairs whatever the rids', async () => {
  const comps = () => usableComparisons(trainableComparisons('once'), fields.present);
  const [a, b] = await bothNumberings(() =>
    keyPairPatterns(db.conn, comps(), ['ln1'], { maxPairs: 5_000, maxBlockSize: MAX_BLOCK }),
  );
  // The cap is in force: the session keeps a sample of its pairs.
  expect(a.pairs).toBeGreaterThan(3_000);
  expect(a.pairs).toBeLessThan(7_000);
  expect(b).toEqual(a);
});

test("blocking's estimated recall samples the same anchors whatever the rids", async () => {
  const [a, b] = await bothNumberings(async () => {
    const estimate = await estimateMU(db.conn, fields.present, {
      maxBlockSize: MAX_BLOCK,
      randomPairs: 20_000,
    });
    return proposeBlocking(db.conn, {
      present: fields.present,
      maxPairs: 20 * records,
      maxBlockSize: MAX_BLOCK,
      estimate,
      sampleRecords: 500,
    });
  });
  expect(a.recallFrom).toBe('estimated');
  expect(a.chosen.length).toBeGreaterThan(0);
  expect(b).toEqual(a);
});

test('EM training gives the same model whatever the rids', async () => {
  const [a, b] = await bothNumberings(async () => {
    const result = await trainModel(db.conn, {
      kind: 'fellegi-sunter',
      fields,
      records,
      maxBlockSize: MAX_BLOCK,
      randomPairs: 20_000,
      created: '2026-12-03T00:00:00.000Z',
    });
    return result.model;
  });
  expect(b).toEqual(a);
});
