// Estimating model parameters from comparison patterns: candidate pairs grouped by their vector
// of comparison levels (a few thousand distinct vectors for millions of pairs), so fitting is
// small in-memory arithmetic, exact, and fast.
//   Fellegi-Sunter: EM without labels (m, u, lambda), threshold maximizing the EXPECTED F1 under
//   the fitted posteriors. Logistic: Newton-Raphson (IRLS) with a small L2 penalty on labelled
//   patterns, threshold maximizing F1 on those labels.
import { COMPARISONS, type Comparison } from './comparisons.js';
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

export function toTable(values: number[][], comps: readonly Comparison[] = COMPARISONS): LevelTable {
  return Object.fromEntries(
    comps.map((c, i) => [c.name, Object.fromEntries(c.levels.map((l, j) => [l, values[i]![j]!]))]),
  );
}

export function fromTable(table: LevelTable, comps: readonly Comparison[]): number[][] {
  return comps.map((c) => c.levels.map((l) => table[c.name]![l]!));
}

/** Normalized, with a floor: a level never seen must not get an infinite weight. */
function normalizeRows(rows: number[][]): number[][] {
  return rows.map((r) => {
    const s = r.reduce((a, b) => a + b, 0);
    if (s <= 0) return r.map(() => 1 / r.length);
    const floored = r.map((x) => Math.max(PROB_FLOOR, x / s));
    const t = floored.reduce((a, b) => a + b, 0);
    return floored.map((x) => x / t);
  });
}

/**
 * u by random sampling: the level distribution of each comparison over record pairs drawn at
 * random (nearly all of them non-matches), as Splink estimates it.
 */
export function estimateU(patterns: Pattern[], comps: readonly Comparison[]): number[][] {
  const counts = comps.map((c) => c.levels.map(() => 0.5));
  for (const p of patterns)
    p.levels.forEach((l, i) => {
      if (l !== null) counts[i]![l]! += p.count;
    });
  return normalizeRows(counts);
}

/**
 * m and lambda by EM with u fixed, over the candidate pairs of one training blocking key. The
 * comparisons in `active` only: the key's own comparisons agree on every pair by construction
 * and say nothing about m (Splink's training sessions, one per blocking rule).
 */
export function emMatchProbabilities(
  patterns: Pattern[],
  u: number[][],
  active: boolean[],
  opts: { maxIterations?: number; tolerance?: number; start?: number[][]; lambda?: number } = {},
): { m: number[][]; lambda: number; iterations: number } {
  const maxIt = opts.maxIterations ?? 200;
  const tol = opts.tolerance ?? 1e-7;
  let m = opts.start ?? u.map((row) => row.map((_, j) => (j === 0 ? 0.8 : 0.2 / (row.length - 1))));
  let lambda = opts.lambda ?? 0.5;
  let it = 0;
  const bf = (p: Pattern) => {
    let r = 1;
    p.levels.forEach((l, i) => {
      if (l !== null && active[i]) r *= m[i]![l]! / u[i]![l]!;
    });
    return r;
  };
  for (; it < maxIt; it++) {
    const mNum = u.map((row) => row.map(() => EPS));
    let matchMass = 0;
    let total = 0;
    for (const p of patterns) {
      const odds = (lambda / (1 - lambda)) * bf(p);
      const post = Number.isFinite(odds) ? odds / (1 + odds) : 1;
      matchMass += p.count * post;
      total += p.count;
      p.levels.forEach((l, i) => {
        if (l !== null) mNum[i]![l]! += p.count * post;
      });
    }
    const nm = normalizeRows(mNum);
    const nl = Math.min(1 - EPS, Math.max(EPS, matchMass / total));
    let delta = Math.abs(nl - lambda);
    nm.forEach((r, i) => r.forEach((x, j) => (delta = Math.max(delta, Math.abs(x - m[i]![j]!)))));
    m = nm;
    lambda = nl;
    if (delta < tol) {
      it++;
      break;
    }
  }
  return { m, lambda, iterations: it };
}

/**
 * The match share of a population of patterns with m and u fixed (EM on lambda alone). With
 * `totalPairs`, the population is every pair of the records and the pairs outside `patterns`
 * (not candidates) count as non-matches: lambda is then the all-pairs prior.
 */
export function emLambda(
  patterns: Pattern[],
  m: number[][],
  u: number[][],
  opts: { start?: number; totalPairs?: number } = {},
): number {
  const start = opts.start ?? 0.1;
  const ratio = patterns.map((p) => {
    let r = 1;
    p.levels.forEach((l, i) => {
      if (l !== null) r *= m[i]![l]! / u[i]![l]!;
    });
    return r;
  });
  const total = opts.totalPairs ?? patterns.reduce((s, p) => s + p.count, 0);
  // Start below the candidates' share: EM on lambda climbs to its fixed point from there.
  let lambda = Math.min(start, (0.5 * patterns.reduce((s, p) => s + p.count, 0)) / Math.max(1, total));
  for (let it = 0; it < 2000; it++) {
    let mass = 0;
    patterns.forEach((p, k) => {
      const odds = (lambda / (1 - lambda)) * ratio[k]!;
      mass += p.count * (Number.isFinite(odds) ? odds / (1 + odds) : 1);
    });
    const next = Math.min(1 - EPS, Math.max(1e-15, mass / total));
    if (Math.abs(next - lambda) <= 1e-9 * lambda) return next;
    lambda = next;
  }
  return lambda;
}

/** Match probability of each pattern under m, u and lambda. */
export function posteriors(patterns: Pattern[], m: number[][], u: number[][], lambda: number): number[] {
  return patterns.map((p) => {
    let odds = lambda / (1 - lambda);
    p.levels.forEach((l, i) => {
      if (l !== null) odds *= m[i]![l]! / u[i]![l]!;
    });
    return Number.isFinite(odds) ? odds / (1 + odds) : 1;
  });
}

/** Fellegi-Sunter parameters by expectation-maximisation over unlabelled patterns. */
export function fitFellegiSunter(
  patterns: Pattern[],
  opts: { maxIterations?: number; tolerance?: number; comparisons?: readonly Comparison[] } = {},
): EmResult {
  const comps = opts.comparisons ?? COMPARISONS;
  const maxIt = opts.maxIterations ?? 500;
  const tol = opts.tolerance ?? 1e-8;
  // Start: matches mostly agree exactly, non-matches mostly disagree.
  let m = comps.map((c) => c.levels.map((_, j) => (j === 0 ? 0.7 : 0.3 / (c.levels.length - 1))));
  let u = comps.map((c) =>
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
    const mNum = comps.map((c) => c.levels.map(() => EPS));
    const uNum = comps.map((c) => c.levels.map(() => EPS));
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
    // A level never seen among matches (or non-matches) in this data must not get an infinite
    // weight that vetoes every future pair showing it: normalizeRows floors it.
    const nm = normalizeRows(mNum);
    const nu = normalizeRows(uNum);
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
    parameters: { lambda, m: toTable(m, comps), u: toTable(u, comps) },
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
function featureIndex(comps: readonly Comparison[]): { names: [string, string][]; offset: number[] } {
  const names: [string, string][] = [];
  const offset: number[] = [];
  for (const c of comps) {
    offset.push(names.length + 1);
    for (const l of [...c.levels, 'missing']) names.push([c.name, l]);
  }
  return { names, offset };
}

function features(p: Pattern, offset: number[], comps: readonly Comparison[]): number[] {
  // Indexes of the active indicators (plus 0 for the intercept).
  return [0, ...p.levels.map((l, i) => offset[i]! + (l === null ? comps[i]!.levels.length : l))];
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
  opts: { l2?: number; maxIterations?: number; comparisons?: readonly Comparison[] } = {},
): LogisticResult {
  const comps = opts.comparisons ?? COMPARISONS;
  const l2 = opts.l2 ?? 1;
  const { names, offset } = featureIndex(comps);
  const dim = names.length + 1;
  const rows = patterns.map((p) => {
    if (p.matches === undefined) throw new Error('logistic fitting needs labelled patterns');
    return { x: features(p, offset, comps), n: p.count, y: p.matches };
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

/**
 * The lowest threshold whose precision over the scored groups reaches `target` (the most recall
 * at that precision); when no threshold does, the one of the highest precision.
 */
export function thresholdForPrecision(
  scored: { score: number; count: number; matches: number }[],
  target: number,
): { threshold: number; precision: number; recall: number } {
  const sorted = [...scored].sort((a, b) => b.score - a.score);
  const totalMatches = sorted.reduce((s, x) => s + x.matches, 0);
  let tp = 0;
  let predicted = 0;
  let best: { threshold: number; precision: number; recall: number } | undefined;
  let fallback = { threshold: 0.999999, precision: 0, recall: 0 };
  for (let i = 0; i < sorted.length; i++) {
    tp += sorted[i]!.matches;
    predicted += sorted[i]!.count;
    if (i + 1 < sorted.length && sorted[i + 1]!.score === sorted[i]!.score) continue;
    const next = i + 1 < sorted.length ? sorted[i + 1]!.score : 0;
    const point = {
      threshold: Math.min(0.999999, Math.max(1e-6, (sorted[i]!.score + next) / 2)),
      precision: predicted ? tp / predicted : 1,
      recall: totalMatches ? tp / totalMatches : 1,
    };
    if (point.precision >= target) best = point;
    if (point.precision > fallback.precision) fallback = point;
  }
  return best ?? fallback;
}

export interface CurvePoint {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Precision and recall at each threshold over scored groups whose `matches` may be expected
 * counts (posteriors without labels): the estimated curve `models train` reports.
 */
export function precisionRecallCurve(
  scored: { score: number; count: number; matches: number }[],
  thresholds: number[],
): CurvePoint[] {
  const totalMatches = scored.reduce((s, x) => s + x.matches, 0);
  return thresholds.map((t) => {
    let tp = 0;
    let predicted = 0;
    for (const x of scored)
      if (x.score >= t) {
        tp += x.matches;
        predicted += x.count;
      }
    const precision = predicted ? tp / predicted : 1;
    const recall = totalMatches ? tp / totalMatches : 1;
    return {
      threshold: t,
      precision,
      recall,
      f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    };
  });
}
