// Both model kinds score hand-made comparison vectors as their textbook formulas say (computed
// here independently from m/u or the weights), the SQL agrees with it, the shipped versions rank
// clear matches above and household look-alikes below their thresholds, and broken model files
// or unknown versions fail with a message naming the problem.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { COMPARISONS } from '../../../lib/identity/comparisons.js';
import {
  ModelError,
  scoreLevels,
  scoreSql,
  validateModel,
  type IdentityModel,
} from '../../../lib/identity/model.js';
import { listVersions, loadModel, registerModel } from '../../../lib/identity/registry.js';

const SHIPPED = path.resolve('models/identity');
type Levels = Record<string, string | null>;
/** Parsed JSON, deliberately loose: these tests break model files on purpose. */
type Json = ReturnType<typeof JSON.parse>;

const PAIRS: Record<string, Levels> = {
  identical: {
    first_name: 'exact',
    last_name: 'exact',
    email: 'exact',
    phone: 'exact',
    dob: 'exact',
    address: 'exact',
  },
  nicknameMoved: {
    first_name: 'nickname',
    last_name: 'exact',
    email: 'exact',
    phone: null,
    dob: 'exact',
    address: 'different',
  },
  swappedNames: {
    first_name: 'swapped',
    last_name: 'swapped',
    email: null,
    phone: 'exact',
    dob: 'swapped',
    address: 'exact',
  },
  household: {
    first_name: 'different',
    last_name: 'exact',
    email: 'different',
    phone: 'exact',
    dob: 'different',
    address: 'exact',
  },
  strangers: {
    first_name: 'different',
    last_name: 'close',
    email: 'different',
    phone: 'different',
    dob: 'different',
    address: 'same_zip',
  },
  sparse: { first_name: 'exact', last_name: 'exact', email: null, phone: null, dob: null, address: null },
};

/** Textbook Fellegi-Sunter posterior from m, u and lambda (no log weights involved). */
function fsPosterior(m: Extract<IdentityModel, { kind: 'fellegi-sunter' }>, levels: Levels): number {
  let pm = m.parameters.lambda;
  let pu = 1 - m.parameters.lambda;
  for (const c of COMPARISONS) {
    const l = levels[c.name];
    if (l === null || l === undefined) continue;
    pm *= m.parameters.m[c.name]![l]!;
    pu *= m.parameters.u[c.name]![l]!;
  }
  return pm / (pm + pu);
}

function lrProbability(m: Extract<IdentityModel, { kind: 'logistic' }>, levels: Levels): number {
  let z = m.parameters.intercept;
  for (const c of COMPARISONS) z += m.parameters.weights[c.name]![levels[c.name] ?? 'missing']!;
  return 1 / (1 + Math.exp(-z));
}

const indexes = (levels: Levels) =>
  Object.fromEntries(
    COMPARISONS.map((c) => [c.name, levels[c.name] == null ? null : c.levels.indexOf(levels[c.name]!)]),
  );

let v1: IdentityModel;
let v2: IdentityModel;
let db: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  v1 = await loadModel(SHIPPED, 'v1');
  v2 = await loadModel(SHIPPED, 'v2');
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});
afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
});

describe('scoring', () => {
  test.each(Object.keys(PAIRS))('%s: SQL and TypeScript equal the textbook formulas', async (name) => {
    const levels = PAIRS[name]!;
    const idx = indexes(levels);
    const cols = COMPARISONS.map((c) => `${idx[c.name] ?? 'NULL'}::TINYINT AS c_${c.name}`).join(', ');
    const [[s1, s2]] = (
      await conn.runAndReadAll(`SELECT ${scoreSql(v1)}, ${scoreSql(v2)} FROM (SELECT ${cols})`)
    ).getRows() as [[number, number]];
    const want1 = fsPosterior(v1 as never, levels);
    const want2 = lrProbability(v2 as never, levels);
    expect(s1).toBeCloseTo(want1, 12);
    expect(s2).toBeCloseTo(want2, 12);
    expect(scoreLevels(v1, idx)).toBeCloseTo(want1, 12);
    expect(scoreLevels(v2, idx)).toBeCloseTo(want2, 12);
  });

  test('shipped versions: clear matches above the threshold, household members and strangers below', () => {
    for (const m of [v1, v2]) {
      for (const name of ['identical', 'nicknameMoved', 'swappedNames'])
        expect(scoreLevels(m, indexes(PAIRS[name]!)), `${m.version} ${name}`).toBeGreaterThanOrEqual(
          m.threshold,
        );
      for (const name of ['household', 'strangers'])
        expect(scoreLevels(m, indexes(PAIRS[name]!)), `${m.version} ${name}`).toBeLessThan(m.threshold);
    }
  });

  test('more agreement never lowers the score (exact beats different on every field)', () => {
    for (const m of [v1, v2]) {
      for (const c of COMPARISONS) {
        const base = { ...PAIRS.sparse! };
        const hi = scoreLevels(m, indexes({ ...base, [c.name]: c.levels[0]! }));
        const lo = scoreLevels(m, indexes({ ...base, [c.name]: c.levels.at(-1)! }));
        expect(hi, `${m.version} ${c.name}`).toBeGreaterThan(lo);
      }
    }
  });
});

describe('validation and registry', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'models-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const clone = () => JSON.parse(JSON.stringify(v1)) as Json;

  test.each([
    [
      'a missing m level',
      (m: Json) => delete m.parameters.m.dob.swapped,
      'parameter m.dob.swapped is missing',
    ],
    ['a missing comparison', (m: Json) => delete m.parameters.u.address, 'parameter u.address is missing'],
    ['a missing lambda', (m: Json) => delete m.parameters.lambda, 'parameter lambda is missing'],
    [
      'a probability of 0',
      (m: Json) => (m.parameters.m.phone.exact = 0),
      'parameter m.phone.exact must be a probability',
    ],
    ['a bad threshold', (m: Json) => (m.threshold = 1.5), 'threshold must be a number in (0, 1)'],
    ['an unknown kind', (m: Json) => (m.kind = 'neural'), 'kind must be one of fellegi-sunter, logistic'],
    ['no parameters', (m: Json) => delete m.parameters, 'field parameters is missing'],
  ])('%s', (_name, mutate, message) => {
    const m = clone();
    mutate(m);
    expect(() => validateModel(m, 'x.json')).toThrow(message);
  });

  test('a logistic model missing a weight', () => {
    const m = JSON.parse(JSON.stringify(v2)) as Json;
    delete m.parameters.weights.email.missing;
    expect(() => validateModel(m, 'v2.json')).toThrow('v2.json: parameter weights.email.missing is missing');
  });

  test('unknown versions list the known ones; a file saying another version is refused', async () => {
    await expect(loadModel(SHIPPED, 'v99')).rejects.toThrow(/unknown model version v99 .*known: v1, v2/);
    await expect(loadModel(SHIPPED, 'latest')).rejects.toThrow(ModelError);
    fs.writeFileSync(path.join(tmp, 'v1.json'), JSON.stringify({ ...v2, version: 'v2' }));
    await expect(loadModel(tmp, 'v1')).rejects.toThrow('says version v2; expected v1');
    fs.rmSync(path.join(tmp, 'v1.json'));
  });

  test('registering assigns the next version and never overwrites', async () => {
    const { version: _v, ...body } = v2;
    void _v;
    const a = await registerModel(tmp, body);
    const b = await registerModel(tmp, body);
    expect([a.version, b.version]).toEqual(['v1', 'v2']);
    expect(await listVersions(tmp)).toEqual(['v1', 'v2']);
    expect((await loadModel(tmp, 'v2')).parameters).toEqual(v2.parameters);
  });
});
