// Training a model on the user's own records (`daybreak models train`), in one DuckDB session
// over a prepared `prep` table:
//   fellegi-sunter without labels (as Splink does): u by random sampling, m by EM in training
//     sessions (one per exact blocking key, each leaving out the comparisons its key fixes),
//     blocking rules chosen for the data within a pair budget (recall estimated), lambda by EM
//     on the chosen candidates, the threshold maximizing the expected F1, and the estimated
//     precision/recall curve reported;
//   fellegi-sunter with labels: m from the labelled matches among the candidates, u by random
//     sampling, the threshold reaching a target precision;
//   logistic (labels needed): Newton-Raphson over comparison levels.
// Term-frequency adjustments apply to the exact levels of names, postcode and city.
import type { DuckDBConnection } from '@duckdb/node-api';
import { ruleFields, type BlockingRule, type KeyPartName } from './blocking.js';
import { defaultMaxPairs, proposeBlocking, type BlockingProposal } from './blocking-choice.js';
import {
  trainableComparisons,
  usableComparisons,
  type Comparison,
  type LocationScheme,
} from './comparisons.js';
import { buildCandidates, candidatePatterns, keyPairPatterns, randomPairPatterns } from './engine.js';
import type { FieldPresence } from './fields.js';
import { detectHouseholds, type HouseholdEvidence } from './households.js';
import {
  bestThreshold,
  emLambda,
  emMatchProbabilities,
  estimateU,
  fitFellegiSunter,
  fitLogistic,
  posteriors,
  precisionRecallCurve,
  thresholdForPrecision,
  toTable,
  type CurvePoint,
  type Pattern,
} from './fit.js';
import type { IdentityModel, Linkage, ModelKind } from './model.js';
import { rekeyRecords } from './prepare.js';

export type NewModel = Omit<IdentityModel, 'version'>;

/** Turns fitted parameters into a registrable model (everything but the version number). */
export function trainFromPatterns(
  kind: ModelKind,
  patterns: Pattern[],
  meta: { description?: string; data?: Record<string, unknown>; created?: string },
): NewModel {
  const pairs = patterns.reduce((s, p) => s + p.count, 0);
  const created = meta.created ?? new Date().toISOString();
  if (kind === 'fellegi-sunter') {
    const fit = fitFellegiSunter(patterns);
    return {
      kind,
      created,
      threshold: fit.threshold,
      description: meta.description ?? 'Fellegi-Sunter, m/u by EM on unlabelled candidate pairs',
      training: { method: 'em', iterations: fit.iterations, pairs, patterns: patterns.length, ...meta.data },
      parameters: fit.parameters,
    } as NewModel;
  }
  const fit = fitLogistic(patterns);
  return {
    kind,
    created,
    threshold: fit.threshold,
    description:
      meta.description ?? 'Logistic regression over comparison levels, Newton-Raphson on labelled pairs',
    training: {
      method: 'newton-l2',
      iterations: fit.iterations,
      pairs,
      patterns: patterns.length,
      ...meta.data,
    },
    parameters: fit.parameters,
  } as NewModel;
}

/** Exact keys EM training sessions may block on, in order of preference. */
const SESSION_KEYS: KeyPartName[][] = [['fn', 'ln'], ['dob_s'], ['pc'], ['email'], ['phone'], ['street']];

/**
 * The training sessions: keys on present fields until every comparison is left free (estimated)
 * by at least one session, at least two sessions when there are two.
 */
export function chooseSessions(
  present: FieldPresence['present'],
  comps: readonly Comparison[],
): KeyPartName[][] {
  const usable = SESSION_KEYS.filter((k) =>
    ruleFields({ name: 's', parts: k }).every((f) => present.includes(f)),
  );
  const chosen: KeyPartName[][] = [];
  const covered = new Set<string>();
  for (const key of usable) {
    const fixed = new Set(ruleFields({ name: 's', parts: key }));
    const frees = comps.filter((c) => !c.fields.some((f) => fixed.has(f))).map((c) => c.name);
    if (chosen.length < 2 || frees.some((c) => !covered.has(c))) {
      chosen.push(key);
      frees.forEach((c) => covered.add(c));
    }
    if (chosen.length >= 2 && comps.every((c) => covered.has(c.name))) break;
  }
  return chosen;
}

export interface TrainOptions {
  kind: ModelKind;
  fields: FieldPresence;
  records: number;
  maxBlockSize: number;
  /** A table (record_id, person_id): supervised training. */
  labels?: string;
  /** Fixed blocking rules; else chosen for the data within maxPairs. */
  rules?: BlockingRule[];
  maxPairs?: number;
  /** With labels: the threshold is the lowest reaching this precision on the candidates. */
  targetPrecision?: number;
  randomPairs?: number;
  description?: string;
  data?: Record<string, unknown>;
  created?: string;
  /** How the model's runs link matches into identities (default average: BENCHMARKS.md, issue 19). */
  linkage?: Linkage;
  /** How postcode, city and state are scored; default auto: from the households found (households.ts). */
  location?: LocationScheme | 'auto';
}

export interface TrainResult {
  model: NewModel;
  blocking?: BlockingProposal;
  /** Precision/recall by threshold: estimated from posteriors without labels, else measured. */
  curve: CurvePoint[];
  candidates: number;
  /** The households measured and the location scheme trained with. */
  households: HouseholdEvidence;
}

export interface SessionReport {
  key: string;
  pairs: number;
  lambda: number;
  iterations: number;
}

/**
 * m by EM over training sessions (u fixed), averaged over the sessions that left each
 * comparison free.
 */
export async function emSessions(
  conn: DuckDBConnection,
  comps: readonly Comparison[],
  u: number[][],
  present: FieldPresence['present'],
  maxBlockSize: number,
): Promise<{ m: number[][]; sessions: SessionReport[] }> {
  const sum = comps.map((c) => c.levels.map(() => 0));
  const n = comps.map(() => 0);
  const sessions: SessionReport[] = [];
  for (const key of chooseSessions(present, comps)) {
    const fixed = new Set(ruleFields({ name: 's', parts: key }));
    const active = comps.map((c) => !c.fields.some((f) => fixed.has(f)));
    const { patterns, pairs } = await keyPairPatterns(conn, comps, key, { maxBlockSize });
    if (pairs < 50) continue;
    const fit = emMatchProbabilities(patterns, u, active);
    sessions.push({ key: key.join('+'), pairs, lambda: fit.lambda, iterations: fit.iterations });
    comps.forEach((_, i) => {
      if (!active[i]) return;
      fit.m[i]!.forEach((x, j) => (sum[i]![j]! += x));
      n[i]!++;
    });
  }
  const missing = comps.filter((_, i) => n[i] === 0).map((c) => c.name);
  if (missing.length)
    throw new Error(
      `EM training could not estimate m for ${missing.join(', ')}: no training session left them free (fields present: ${present.join(', ')})`,
    );
  return { m: sum.map((row, i) => row.map((x) => x / n[i]!)), sessions };
}

/** u by random sampling and m by EM sessions: what recall estimates without labels use. */
export async function estimateMU(
  conn: DuckDBConnection,
  present: FieldPresence['present'],
  opts: { maxBlockSize: number; randomPairs?: number },
): Promise<{ comparisons: Comparison[]; m: number[][]; u: number[][] }> {
  const { location } = await detectHouseholds(conn, present, opts.maxBlockSize);
  const comparisons = usableComparisons(trainableComparisons(location), present);
  const random = await randomPairPatterns(conn, comparisons, { pairs: opts.randomPairs });
  const u = estimateU(random.patterns, comparisons);
  const { m } = await emSessions(conn, comparisons, u, present, opts.maxBlockSize);
  return { comparisons, m, u };
}

const CURVE_THRESHOLDS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];

/** The location scheme to train with: the one asked for, else the one the households call for. */
async function locationFor(
  conn: DuckDBConnection,
  present: FieldPresence['present'],
  opts: Pick<TrainOptions, 'location' | 'maxBlockSize'>,
): Promise<HouseholdEvidence> {
  const found = await detectHouseholds(conn, present, opts.maxBlockSize);
  if (!opts.location || opts.location === 'auto') return found;
  return { ...found, location: opts.location, reason: `location scored ${opts.location} (asked for)` };
}

/** Trains a model on the prepared `prep` table of one session. Leaves the candidates in `cand`. */
export async function trainModel(conn: DuckDBConnection, opts: TrainOptions): Promise<TrainResult> {
  if (opts.kind === 'logistic' && !opts.labels) throw new Error('training a logistic model needs --labels');
  const present = opts.fields.present;
  const households = await locationFor(conn, present, opts);
  const comps = usableComparisons(trainableComparisons(households.location), present);
  const maxPairs = opts.maxPairs ?? defaultMaxPairs(opts.records);
  const random = await randomPairPatterns(conn, comps, { pairs: opts.randomPairs });
  const u = estimateU(random.patterns, comps);
  const created = opts.created ?? new Date().toISOString();

  // m: from the labels (below), else by EM sessions with u fixed.
  let m: number[][] | undefined;
  let sessions: SessionReport[] = [];
  if (!opts.labels) ({ m, sessions } = await emSessions(conn, comps, u, present, opts.maxBlockSize));

  let blocking: BlockingProposal | undefined;
  let rules = opts.rules;
  if (!rules) {
    blocking = await proposeBlocking(conn, {
      present,
      maxPairs,
      maxBlockSize: opts.maxBlockSize,
      labels: opts.labels,
      estimate: m ? { comparisons: comps, m, u } : undefined,
    });
    rules = blocking.chosen;
  }
  await rekeyRecords(conn, { rules, maxBlockSize: opts.maxBlockSize });
  const candidates = await buildCandidates(conn, {
    shard: 0,
    shards: 1,
    out: 'cand',
    rules,
    comparisons: comps,
  });
  const patterns = await candidatePatterns(conn, opts.labels, { comparisons: comps });
  const common = {
    created,
    comparisons: comps.map((c) => c.name),
    blocking: rules,
    linkage: opts.linkage ?? 'average',
  };
  const info = {
    recordCount: opts.records,
    candidates,
    randomPairs: random.pairs,
    fields: present,
    maxPairs,
    location: households.location,
    households: households.reason,
    ...opts.data,
  };

  if (opts.kind === 'logistic') {
    const fit = fitLogistic(patterns, { comparisons: comps });
    const scored = scoredGroups(patterns, (p) =>
      logit(fit.parameters.intercept, p, comps, fit.parameters.weights),
    );
    const target = opts.targetPrecision;
    const threshold = target ? thresholdForPrecision(scored, target).threshold : fit.threshold;
    return {
      model: {
        kind: 'logistic',
        ...common,
        threshold,
        description:
          opts.description ?? 'Logistic regression over comparison levels, Newton-Raphson on labelled pairs',
        training: { method: 'newton-l2', iterations: fit.iterations, targetPrecision: target, ...info },
        parameters: fit.parameters,
      } as NewModel,
      blocking,
      curve: precisionRecallCurve(scored, CURVE_THRESHOLDS),
      candidates,
      households,
    };
  }

  // The prior is over every pair of the records (u comes from random pairs, so the weights are
  // likelihood ratios against a random pair): candidates are a selection, not the population.
  const allPairs = (opts.records * (opts.records - 1)) / 2;
  let lambda: number;
  let scored: { score: number; count: number; matches: number }[];
  let threshold: number;
  let method: string;
  if (opts.labels) {
    // Supervised: m from the labelled matches among the candidates.
    const counts = comps.map((c) => c.levels.map(() => 0.5));
    let matches = 0;
    for (const p of patterns) {
      matches += p.matches!;
      p.levels.forEach((l, i) => {
        if (l !== null) counts[i]![l]! += p.matches!;
      });
    }
    m = counts.map((row) => {
      const s = row.reduce((a, b) => a + b, 0);
      return row.map((x) => Math.max(1e-4, x / s));
    });
    lambda = Math.min(0.5, Math.max(1e-15, matches / allPairs));
    const post = posteriors(patterns, m, u, lambda);
    scored = patterns.map((p, i) => ({ score: post[i]!, count: p.count, matches: p.matches! }));
    threshold = thresholdForPrecision(scored, opts.targetPrecision ?? 0.99).threshold;
    method = 'labels-m, random-sample-u';
  } else {
    lambda = emLambda(patterns, m!, u, { totalPairs: allPairs });
    const post = posteriors(patterns, m!, u, lambda);
    scored = patterns.map((p, i) => ({ score: post[i]!, count: p.count, matches: p.count * post[i]! }));
    threshold = bestThreshold(scored);
    method = 'em-m, random-sample-u';
  }
  return {
    model: {
      kind: 'fellegi-sunter',
      ...common,
      tfAdjust: comps.filter((c) => c.tf).map((c) => c.name),
      threshold,
      description:
        opts.description ??
        (opts.labels
          ? 'Fellegi-Sunter: m from labelled candidate pairs, u by random sampling, term-frequency adjusted'
          : 'Fellegi-Sunter: u by random sampling, m by EM on the records themselves, term-frequency adjusted'),
      training: {
        method,
        sessions,
        lambda,
        targetPrecision: opts.labels ? (opts.targetPrecision ?? 0.99) : undefined,
        ...info,
      },
      parameters: {
        lambda,
        matchesPerRecord: (lambda * (opts.records - 1)) / 2,
        m: toTable(m!, comps),
        u: toTable(u, comps),
      },
    } as NewModel,
    blocking,
    curve: precisionRecallCurve(scored, CURVE_THRESHOLDS),
    candidates,
    households,
  };
}

function logit(
  intercept: number,
  p: Pattern,
  comps: readonly Comparison[],
  weights: Record<string, Record<string, number>>,
): number {
  let z = intercept;
  p.levels.forEach((l, i) => {
    const c = comps[i]!;
    z += weights[c.name]![l === null ? 'missing' : c.levels[l]!]!;
  });
  return 1 / (1 + Math.exp(-z));
}

function scoredGroups(patterns: Pattern[], score: (p: Pattern) => number) {
  return patterns.map((p) => ({ score: score(p), count: p.count, matches: p.matches ?? 0 }));
}
