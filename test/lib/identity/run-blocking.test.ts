// The blocking a run uses with its champion (lib/identity/run-blocking.ts): a model's own rules
// on the fields present, or, for a model that chooses (`blocking: { choose }`), the rules chosen
// on the run's records within its budget. Checked against pair counts recomputed here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateIntlCustomers } from '../../../datagen/customers-intl.js';
import { ModelError, validateModel, type IdentityModel } from '../../../lib/identity/model.js';
import { prepareRecords } from '../../../lib/identity/prepare.js';
import { loadModel } from '../../../lib/identity/registry.js';
import {
  choiceBudget,
  NoBlockingRules,
  prepareForModel,
  runRules,
} from '../../../lib/identity/run-blocking.js';
import { inMemoryDuckDB } from '../../helpers/duckdb.js';

const db = inMemoryDuckDB();
const MAX_BLOCK = 1000;
const MODELS = path.resolve('models/identity');
let dir: string;
let files: string[];
let v2: IdentityModel;
let v5: IdentityModel;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-blocking-'));
  const out = await generateIntlCustomers({ records: 4000, seed: 9, out: dir });
  files = fs
    .readdirSync(out.recordsDir)
    .filter((f) => f.endsWith('.parquet'))
    .map((f) => path.join(out.recordsDir, f));
  [v2, v5] = await Promise.all([loadModel(MODELS, 'v2'), loadModel(MODELS, 'v5')]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Exact candidate pairs of each keyed rule (k_<name>), blocks over MAX_BLOCK left out. */
async function pairsPerRule(names: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const n of names) {
    const r = await db.conn.runAndReadAll(
      `SELECT coalesce(sum(c * (c - 1) // 2), 0) FROM (SELECT count(*) AS c FROM prep WHERE k_${n} IS NOT NULL GROUP BY k_${n} HAVING count(*) <= ${MAX_BLOCK})`,
    );
    out.push(Number(r.getRows()[0]![0]));
  }
  return out;
}

describe('a model with rules', () => {
  test('blocks with those of its rules whose fields are present and names the others', async () => {
    const prepared = await prepareRecords(db.conn, { files, shards: 1, maxBlockSize: MAX_BLOCK, rules: [] });
    // The second world has no email or phone: v2's first two rules cannot apply.
    const r = await runRules(db.conn, v2, {
      present: prepared.fields.present,
      records: prepared.records,
      maxBlockSize: MAX_BLOCK,
    });
    expect(r.rules.map((x) => x.name)).toEqual(['zip_last', 'dob_initials', 'street_first']);
    expect(r.leftOut).toEqual(['email', 'phone']);
    expect(r.chosen).toBeUndefined();
  });
});

describe('a model that chooses', () => {
  test('keys the records for rules whose exact pair counts fit its budget', async () => {
    const tight: IdentityModel = { ...v5, blocking: { choose: { pairsPerRecord: 3, minPairs: 1 } } };
    const p = await prepareFor(tight);
    expect(p.records).toBe(4000);
    expect(p.chosen!.maxPairs).toBe(12_000);
    const names = p.rules.map((r) => r.name);
    expect(names.length).toBeGreaterThan(1);
    const counts = await pairsPerRule(names);
    expect(counts.reduce((s, n) => s + n, 0)).toBe(p.chosen!.pairs);
    expect(p.chosen!.pairs).toBeLessThanOrEqual(12_000);
    // A wider budget buys more estimated recall.
    const wide = await runRules(db.conn, v5, {
      present: p.fields.present,
      records: p.records,
      maxBlockSize: MAX_BLOCK,
    });
    expect(wide.chosen!.maxPairs).toBe(200_000);
    expect(wide.chosen!.estimatedRecall).toBeGreaterThan(p.chosen!.estimatedRecall);
  });

  test('chooses the same rules whatever order the records come in', async () => {
    const reversed = path.join(dir, 'reversed.parquet');
    await db.conn.run(
      `COPY (SELECT * FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}]) ORDER BY record_id DESC) TO '${reversed}' (FORMAT parquet)`,
    );
    const a = await prepareFor(v5, files, 2);
    const b = await prepareFor(v5, [reversed], 2);
    expect(b.rules).toEqual(a.rules);
    expect(b.chosen).toEqual(a.chosen);
  });

  test('fails naming the model when no rule fits the budget', async () => {
    const none: IdentityModel = { ...v5, blocking: { choose: { pairsPerRecord: 0.0001, minPairs: 1 } } };
    const err = await prepareFor(none).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoBlockingRules);
    expect((err as Error).message).toMatch(
      /^model v5: no blocking rule over the fields present \(.*\) fits its budget of 1 candidate pairs$/,
    );
  });

  test('records with no probable match still block, with the rules that fit the budget', async () => {
    // Ten different people, names only: no rule finds a likely match, so none adds recall.
    const tiny = path.join(dir, 'tiny.parquet');
    await db.conn.run(
      `COPY (SELECT 'r' || i AS record_id, ['ann','bob','cy','dee','ed','flo','gus','hal','ivy','jo'][i] AS first_name,
        ['smith','jones','brown','lee','wu','kim','diaz','roy','fox','ng'][i] AS last_name FROM range(1, 11) t(i))
        TO '${tiny}' (FORMAT parquet)`,
    );
    const p = await prepareFor(v5, [tiny]);
    expect(p.rules.map((r) => r.name)).toEqual([
      'fn_ln',
      'fn_ph_ln_ph',
      'ln_ph_fn1',
      'fn_ph_ln1',
      'ln',
      'fn',
    ]);
    expect(p.chosen).toEqual({ maxPairs: 200_000, estimatedRecall: 0, pairs: 0 });
    expect(await pairsPerRule(p.rules.map((r) => r.name))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('the budget: pairs per record, at least minPairs (default 200,000)', () => {
    expect(choiceBudget({ pairsPerRecord: 5 }, 1_000_000)).toBe(5_000_000);
    expect(choiceBudget({ pairsPerRecord: 5 }, 10_000)).toBe(200_000);
    expect(choiceBudget({ pairsPerRecord: 2, minPairs: 10 }, 100)).toBe(200);
  });
});

describe('model files', () => {
  const file =
    (blocking: unknown, kind = 'fellegi-sunter') =>
    () =>
      validateModel({ ...v5, kind, blocking }, 'v9.json');

  test('accept a choice and name what is wrong with a bad one', () => {
    expect(file({ choose: { pairsPerRecord: 5, minPairs: 1000 } })()).toMatchObject({
      blocking: { choose: { pairsPerRecord: 5, minPairs: 1000 } },
    });
    expect(file({ choose: { pairsPerRecord: 0 } })).toThrow(
      new ModelError('v9.json: blocking choose.pairsPerRecord must be a positive number; got 0'),
    );
    expect(file({ choose: { pairsPerRecord: 5, budget: 3 } })).toThrow(
      /v9.json: blocking choose has an unknown key "budget"/,
    );
    expect(file({ choose: { pairsPerRecord: 5 }, extra: 1 })).toThrow(/blocking has an unknown key "extra"/);
    expect(file('auto')).toThrow(
      /blocking must be a list of rules or \{ "choose": \{ "pairsPerRecord": N \} \}/,
    );
    expect(file({ choose: { pairsPerRecord: 5 } }, 'logistic')).toThrow(
      /blocking choose needs a fellegi-sunter model/,
    );
  });
});

/** The fields present in `of` (the test's records by default). */
async function fieldsOf(of = files) {
  return (await prepareRecords(db.conn, { files: of, shards: 1, maxBlockSize: MAX_BLOCK, rules: [] })).fields;
}

/** prepareForModel on `of` (the test's records by default), with the fields they have. */
async function prepareFor(model: IdentityModel, of = files, shards = 1) {
  return prepareForModel(db.conn, model, {
    files: of,
    shards,
    maxBlockSize: MAX_BLOCK,
    fields: await fieldsOf(of),
  });
}
