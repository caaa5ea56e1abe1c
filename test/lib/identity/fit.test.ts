// Model fitting on synthetic comparison patterns drawn from KNOWN parameters: EM recovers the
// Fellegi-Sunter m/u/lambda without labels, Newton recovers logistic weights, and the threshold
// search picks the F1-optimal cut.
import { expect, test } from 'vitest';
import { COMPARISONS } from '../../../lib/identity/comparisons.js';
import {
  bestThreshold,
  fitFellegiSunter,
  fitLogistic,
  solveSpd,
  type Pattern,
} from '../../../lib/identity/fit.js';
import { seededRandom } from '../../helpers/random.js';

function draw(r: () => number, probs: number[]): number {
  let x = r();
  for (let i = 0; i < probs.length; i++) {
    x -= probs[i]!;
    if (x <= 0) return i;
  }
  return probs.length - 1;
}

function spread(n: number, first: number): number[] {
  return Array.from({ length: n }, (_, j) => (j === 0 ? first : (1 - first) / (n - 1)));
}

test('EM recovers m, u and lambda from unlabelled pairs', () => {
  const r = seededRandom(42);
  const trueM = COMPARISONS.map((c) => spread(c.levels.length, 0.85));
  const trueU = COMPARISONS.map((c) => [...spread(c.levels.length, 0.1)].reverse());
  const lambda = 0.3;
  const counts = new Map<string, Pattern>();
  for (let i = 0; i < 200_000; i++) {
    const match = r() < lambda;
    const levels = COMPARISONS.map((_, k) => (r() < 0.1 ? null : draw(r, (match ? trueM : trueU)[k]!)));
    const key = levels.join(',');
    const p = counts.get(key) ?? { levels, count: 0, matches: 0 };
    p.count++;
    if (match) p.matches!++;
    counts.set(key, p);
  }
  const fit = fitFellegiSunter([...counts.values()].map(({ levels, count }) => ({ levels, count })));
  expect(fit.parameters.lambda).toBeCloseTo(lambda, 2);
  COMPARISONS.forEach((c, k) =>
    c.levels.forEach((l, j) => {
      expect(Math.abs(fit.parameters.m[c.name]![l]! - trueM[k]![j]!)).toBeLessThan(0.01);
      expect(Math.abs(fit.parameters.u[c.name]![l]! - trueU[k]![j]!)).toBeLessThan(0.01);
    }),
  );
  expect(fit.threshold).toBeGreaterThan(0.05);
  expect(fit.threshold).toBeLessThan(0.95);
});

test('Newton recovers logistic weights from labelled pairs', () => {
  const r = seededRandom(7);
  const trueW = COMPARISONS.map((c) =>
    [...c.levels, 'missing'].map((_, j, a) => (j === a.length - 1 ? 0 : 2 - j)),
  );
  const intercept = -3;
  const counts = new Map<string, Pattern>();
  for (let i = 0; i < 300_000; i++) {
    const levels = COMPARISONS.map((c) => (r() < 0.15 ? null : Math.floor(r() * c.levels.length)));
    const z =
      intercept + levels.reduce((s: number, l, k) => s + trueW[k]![l ?? COMPARISONS[k]!.levels.length]!, 0);
    const match = r() < 1 / (1 + Math.exp(-z));
    const key = levels.join(',');
    const p = counts.get(key) ?? { levels, count: 0, matches: 0 };
    p.count++;
    if (match) p.matches!++;
    counts.set(key, p);
  }
  const fit = fitLogistic([...counts.values()], { l2: 1e-6 });
  // Indicators of one comparison sum to 1 with the intercept, so compare differences to `missing`.
  COMPARISONS.forEach((c, k) =>
    c.levels.forEach((l, j) => {
      const got = fit.parameters.weights[c.name]![l]! - fit.parameters.weights[c.name]!.missing!;
      expect(Math.abs(got - trueW[k]![j]!)).toBeLessThan(0.1);
    }),
  );
});

test('the threshold search maximizes F1', () => {
  const t = bestThreshold([
    { score: 0.9, count: 10, matches: 10 },
    { score: 0.6, count: 10, matches: 8 },
    { score: 0.4, count: 10, matches: 1 },
    { score: 0.1, count: 10, matches: 0 },
  ]);
  expect(t).toBeGreaterThan(0.4);
  expect(t).toBeLessThanOrEqual(0.6);
});

test('Cholesky solve', () => {
  const x = solveSpd(
    [
      [4, 2, 0],
      [2, 5, 1],
      [0, 1, 3],
    ],
    [2, 1, 4],
  );
  const back = [4 * x[0]! + 2 * x[1]!, 2 * x[0]! + 5 * x[1]! + x[2]!, x[1]! + 3 * x[2]!];
  back.forEach((v, i) => expect(v).toBeCloseTo([2, 1, 4][i]!, 10));
});
