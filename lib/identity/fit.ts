// Estimating model parameters from comparison patterns: candidate pairs grouped by their vector
// of comparison levels (a few thousand distinct vectors for millions of pairs), so fitting is
// small in-memory arithmetic, exact, and fast.
//   Fellegi-Sunter: EM without labels (m, u, lambda), threshold maximizing the EXPECTED F1 under
//   the fitted posteriors. Logistic: Newton-Raphson (IRLS) with a small L2 penalty on labelled
//   patterns, threshold maximizing F1 on those labels.
import { COMPARISONS } from './comparisons.js';
import type { FellegiSunterParameters, LevelTable, LogisticParameters } from './model.js';

export interface Pattern {
  /** Level index per comparison, in COMPARISONS order; null = missing. */
  levels: (number | null)[];
  count: number;
  /** Labelled matches among `count` (only for logistic fitting and evaluation). */
  matches?: number;
}

const EPS = 1e-6;
const PROB_FLOOR = 1e-4;

export interface EmResult {
  parameters: FellegiSunterParameters;
  iterations: number;
  threshold: number;
}

function toTable(values: number[][]): LevelTable {
  return Object.fromEntries(
    COMPARISONS.map((c, i) => [c.name, Object.fromEntries(c.levels.map((l, j) => [l, values[i]![j]!]))]),
  );
}

/** Fellegi-Sunter parameters by expectation-maximisation over unlabelled patterns. */
export function fitFellegiSunter(
  patterns: Pattern[],
  opts: { maxIterations?: number; tolerance?: number } = {},
): EmResult {
  const maxIt = opts.maxIterations ?? 500;
  const tol = opts.tolerance ?? 1e-8;
  // Start: matches mostly agree exactly, non-matches mostly disagree.
  let m = COMPARISONS.map((c) => c.levels.map((_, j) => (j === 0 ? 0.7 : 0.3 / (c.levels.length - 1))));
  let u = COMPARISONS.map((c) =>
    c.levels.map((_, j) => (j === c.levels.length - 1 ? 0.6 : 0.4 / (c.levels.length - 1))),
  );
  let lambda = 0.3;
  let it = 0;
  const posterior = (p: Pattern) => {
    let pm = lambda;
    let pu = 1 - lambda;
    p.levels.forEach((l, i) => {
      if (l === null) return;
      pm *= m[i]![l]!;
      pu *= u[i]![l]!;
    });
    return pm / (pm + pu);
  };
  for (; it < maxIt; it++) {
    const mNum = COMPARISONS.map((c) => c.levels.map(() => EPS));
    const uNum = COMPARISONS.map((c) => c.levels.map(() => EPS));
    let matchMass = 0;
    let total = 0;
    for (const p of patterns) {
      const post = posterior(p);
      matchMass += p.count * post;
      total += p.count;
      p.levels.forEach((l, i) => {
        if (l === null) return;
        mNum[i]![l]! += p.count * post;
        uNum[i]![l]! += p.count * (1 - post);
      });
    }
    // Normalized, with a floor: a level never seen among matches (or non-matches) in this data
    // must not get an infinite weight that vetoes every future pair showing it.
    const norm = (rows: number[][]) =>
      rows.map((r) => {
        const s = r.reduce((a, b) => a + b, 0);
        const floored = r.map((x) => Math.max(PROB_FLOOR, x / s));
        const t = floored.reduce((a, b) => a + b, 0);
        return floored.map((x) => x / t);
      });
    const nm = norm(mNum);
    const nu = norm(uNum);
    const nl = Math.min(1 - EPS, Math.max(EPS, matchMass / total));
    let delta = Math.abs(nl - lambda);
    nm.forEach((r, i) => r.forEach((x, j) => (delta = Math.max(delta, Math.abs(x - m[i]![j]!)))));
    nu.forEach((r, i) => r.forEach((x, j) => (delta = Math.max(delta, Math.abs(x - u[i]![j]!)))));
    m = nm;
    u = nu;
    lambda = nl;
    if (delta < tol) {
      it++;
      break;
    }
  }
  const scored = patterns.map((p) => ({
    score: posterior(p),
    count: p.count,
    matches: p.count * posterior(p),
  }));
  return {
    parameters: { lambda, m: toTable(m), u: toTable(u) },
    iterations: it,
    threshold: bestThreshold(scored),
  };
}

/** The score threshold maximizing F1 over scored groups (matches may be expected counts). */
export function bestThreshold(scored: { score: number; count: number; matches: number }[]): number {
  const sorted = [...scored].sort((a, b) => b.score - a.score);
  const totalMatches = sorted.reduce((s, x) => s + x.matches, 0);
  let tp = 0;
  let predicted = 0;
  let best = { f1: -1, threshold: 0.5 };
  for (let i = 0; i < sorted.length; i++) {
    tp += sorted[i]!.matches;
    predicted += sorted[i]!.count;
    if (i + 1 < sorted.length && sorted[i + 1]!.score === sorted[i]!.score) continue;
    const f1 = (2 * tp) / (predicted + totalMatches);
    if (f1 > best.f1) {
      // Halfway to the next lower score, so the chosen groups stay in and the next stays out.
      const next = i + 1 < sorted.length ? sorted[i + 1]!.score : 0;
      best = { f1, threshold: (sorted[i]!.score + next) / 2 };
    }
  }
  return Math.min(0.999999, Math.max(1e-6, best.threshold));
}

/** Feature layout of the logistic model: intercept, then one indicator per (comparison, level|missing). */
function featureIndex(): { names: [string, string][]; offset: number[] } {
  const names: [string, string][] = [];
  const offset: number[] = [];
  for (const c of COMPARISONS) {
    offset.push(names.length + 1);
    for (const l of [...c.levels, 'missing']) names.push([c.name, l]);
  }
  return { names, offset };
}

function features(p: Pattern, offset: number[]): number[] {
  // Indexes of the active indicators (plus 0 for the intercept).
  return [0, ...p.levels.map((l, i) => offset[i]! + (l === null ? COMPARISONS[i]!.levels.length : l))];
}

/** Solves A x = b (A symmetric positive definite) by Cholesky. */
export function solveSpd(a: number[][], b: number[]): number[] {
  const n = b.length;
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        if (s <= 0) throw new Error('matrix is not positive definite');
        L[i]![i] = Math.sqrt(s);
      } else L[i]![j] = s / L[j]![j]!;
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i]![k]! * y[k]!;
    y[i] = s / L[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k]![i]! * x[k]!;
    x[i] = s / L[i]![i]!;
  }
  return x;
}

export interface LogisticResult {
  parameters: LogisticParameters;
  iterations: number;
  threshold: number;
}

/** Logistic regression over level indicators by Newton-Raphson with L2 penalty `l2` (not on the intercept). */
export function fitLogistic(
  patterns: Pattern[],
  opts: { l2?: number; maxIterations?: number } = {},
): LogisticResult {
  const l2 = opts.l2 ?? 1;
  const { names, offset } = featureIndex();
  const dim = names.length + 1;
  const rows = patterns.map((p) => {
    if (p.matches === undefined) throw new Error('logistic fitting needs labelled patterns');
    return { x: features(p, offset), n: p.count, y: p.matches };
  });
  let w = new Array<number>(dim).fill(0);
  let it = 0;
  for (; it < (opts.maxIterations ?? 50); it++) {
    const grad = w.map((wi, i) => (i === 0 ? 0 : l2 * wi));
    const hess = Array.from({ length: dim }, (_, i) =>
      Array.from({ length: dim }, (_, j) => (i === j && i > 0 ? l2 : 0)),
    );
    for (const r of rows) {
      const z = r.x.reduce((s, i) => s + w[i]!, 0);
      const p = 1 / (1 + Math.exp(-z));
      const g = r.n * p - r.y;
      const h = r.n * p * (1 - p) + 1e-12;
      for (const i of r.x) {
        grad[i]! += g;
        for (const j of r.x) hess[i]![j]! += h;
      }
    }
    const step = solveSpd(hess, grad);
    w = w.map((wi, i) => wi - step[i]!);
    if (Math.max(...step.map(Math.abs)) < 1e-9) {
      it++;
      break;
    }
  }
  const weights: LevelTable = {};
  names.forEach(([c, l], i) => {
    (weights[c] ??= {})[l] = w[i + 1]!;
  });
  const scored = rows.map((r) => ({
    score: 1 / (1 + Math.exp(-r.x.reduce((s, i) => s + w[i]!, 0))),
    count: r.n,
    matches: r.y,
  }));
  return { parameters: { intercept: w[0]!, weights }, iterations: it, threshold: bestThreshold(scored) };
}
