// Identity models: the JSON files of the registry (models/identity/<version>.json), their
// validation (a missing parameter is named), and the SQL that scores a pair's comparison levels.
// Both kinds are additive over comparison levels, so one scoring query shape serves both:
//   fellegi-sunter: match weight W = log2(lambda/(1-lambda)) + sum log2(m/u); p = 1/(1+2^-W)
//   logistic:       logit z = intercept + sum weight[level] (missing has its own weight); p = 1/(1+e^-z)
import { DEFAULT_RULES, ruleProblem, type BlockingRule } from './blocking.js';
import { COMPARISONS, comparisonByName, levelColumn, tfColumn, type Comparison } from './comparisons.js';

export type ModelKind = 'fellegi-sunter' | 'logistic';
export const MODEL_KINDS: ModelKind[] = ['fellegi-sunter', 'logistic'];

/**
 * How matched pairs become identities (./link.ts): `components`, every matched pair joins its two
 * records' clusters; `average`, two clusters join only when the mean match weight of the scored
 * pairs between them reaches the threshold's.
 */
export type Linkage = 'components' | 'average';
export const LINKAGES: Linkage[] = ['components', 'average'];

/** Per comparison, per level name: a number. */
export type LevelTable = Record<string, Record<string, number>>;

export interface FellegiSunterParameters {
  /**
   * Prior probability that two records match: among candidate pairs (v1), or among all pairs of
   * the training records (trained with u by random sampling, as Splink's
   * probability_two_random_records_match).
   */
  lambda: number;
  /**
   * Expected true pairs per record in the training data. When present, a run over N records
   * uses lambda = 2 * matchesPerRecord / (N - 1): the all-pairs prior shrinks as the data grows.
   */
  matchesPerRecord?: number;
  m: LevelTable;
  u: LevelTable;
}

export interface LogisticParameters {
  intercept: number;
  /** Includes a `missing` weight per comparison. */
  weights: LevelTable;
}

interface ModelBase {
  version: string;
  created: string;
  /** Pairs scoring at or above this probability are matches. */
  threshold: number;
  description?: string;
  /** How it was estimated (data, pairs, iterations): for the record, not used in scoring. */
  training?: Record<string, unknown>;
  /** Comparison names (comparisons.ts); absent: the six legacy comparisons of v1/v2. */
  comparisons?: string[];
  /**
   * Blocking the run uses with this model as champion: its rules, or rules chosen on each run's
   * records (`{ choose: ... }`, Fellegi-Sunter only); absent: the legacy five.
   */
  blocking?: BlockingRule[] | BlockingChoice;
  /**
   * Fellegi-Sunter only: comparisons whose exact level is term-frequency adjusted, its weight
   * log2(m / tf) with tf the larger share of records holding either side's value.
   */
  tfAdjust?: string[];
  /** Absent: `components` (the models registered before average linkage keep their clusters). */
  linkage?: Linkage;
}

/**
 * Blocking chosen on the run's own records (./run-blocking.ts): the rule set with the most
 * estimated recall whose pairs fit `pairsPerRecord` per record (at least `minPairs`).
 */
export interface BlockingChoice {
  choose: { pairsPerRecord: number; minPairs?: number };
}

export type IdentityModel =
  | (ModelBase & { kind: 'fellegi-sunter'; parameters: FellegiSunterParameters })
  | (ModelBase & { kind: 'logistic'; parameters: LogisticParameters });

export const VERSION_PATTERN = /^v[1-9]\d*$/;

export class ModelError extends Error {
  override name = 'ModelError';
}

function isProb(x: unknown, open: boolean): x is number {
  return typeof x === 'number' && Number.isFinite(x) && (open ? x > 0 && x < 1 : x >= 0 && x <= 1);
}

function checkTable(
  where: string,
  name: string,
  table: unknown,
  comparisons: Comparison[],
  levels: (c: Comparison) => readonly string[],
  valid: (x: unknown) => boolean,
  expect: string,
): void {
  if (typeof table !== 'object' || table === null)
    throw new ModelError(`${where}: parameter ${name} is missing`);
  const t = table as Record<string, unknown>;
  for (const c of comparisons) {
    const row = t[c.name];
    if (typeof row !== 'object' || row === null)
      throw new ModelError(`${where}: parameter ${name}.${c.name} is missing`);
    for (const level of levels(c)) {
      const v = (row as Record<string, unknown>)[level];
      if (v === undefined) throw new ModelError(`${where}: parameter ${name}.${c.name}.${level} is missing`);
      if (!valid(v))
        throw new ModelError(
          `${where}: parameter ${name}.${c.name}.${level} must be ${expect}; got ${JSON.stringify(v)}`,
        );
    }
  }
}

function checkComparisons(where: string, raw: unknown): Comparison[] {
  if (raw === undefined) return COMPARISONS;
  if (!Array.isArray(raw) || raw.length === 0)
    throw new ModelError(`${where}: comparisons must be a non-empty list of comparison names`);
  return raw.map((name: unknown) => {
    const c = typeof name === 'string' ? comparisonByName(name) : undefined;
    if (!c) throw new ModelError(`${where}: unknown comparison ${JSON.stringify(name)}`);
    return c;
  });
}

/** The comparisons a model scores with (in its file's order). */
export function modelComparisons(model: Pick<IdentityModel, 'comparisons'>): Comparison[] {
  return model.comparisons ? model.comparisons.map((n) => comparisonByName(n)!) : COMPARISONS;
}

/** How a model that chooses its blocking per run does so; undefined for a model with rules. */
export function blockingChoice(model: Pick<IdentityModel, 'blocking'>): BlockingChoice['choose'] | undefined {
  return model.blocking !== undefined && !Array.isArray(model.blocking) ? model.blocking.choose : undefined;
}

/**
 * The blocking rules a model brings (the legacy five when its file names none). A model that
 * chooses per run has none: its rules come from ./run-blocking.ts on the records.
 */
export function modelRules(model: Pick<IdentityModel, 'blocking' | 'version'>): BlockingRule[] {
  if (model.blocking === undefined) return DEFAULT_RULES;
  if (Array.isArray(model.blocking)) return model.blocking;
  throw new Error(`model ${model.version} chooses its blocking rules on the records (runRules)`);
}

function blockingProblem(raw: unknown, kind: unknown): string | undefined {
  if (Array.isArray(raw)) return ruleProblem(raw);
  const choose = (raw as { choose?: unknown } | null)?.choose as Record<string, unknown> | undefined;
  if (typeof raw !== 'object' || raw === null || typeof choose !== 'object' || choose === null)
    return 'must be a list of rules or { "choose": { "pairsPerRecord": N } }';
  const extra = Object.keys(raw).filter((k) => k !== 'choose');
  if (extra.length) return `has an unknown key ${JSON.stringify(extra[0])}`;
  const unknown = Object.keys(choose).filter((k) => k !== 'pairsPerRecord' && k !== 'minPairs');
  if (unknown.length) return `choose has an unknown key ${JSON.stringify(unknown[0])}`;
  const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
  if (!positive(choose.pairsPerRecord))
    return `choose.pairsPerRecord must be a positive number; got ${JSON.stringify(choose.pairsPerRecord)}`;
  if (choose.minPairs !== undefined && !positive(choose.minPairs))
    return `choose.minPairs must be a positive number; got ${JSON.stringify(choose.minPairs)}`;
  // Recall is estimated with the model's own m and u, which only Fellegi-Sunter models have.
  if (kind !== 'fellegi-sunter') return 'choose needs a fellegi-sunter model (its m and u estimate recall)';
  return undefined;
}

/** How a model's matched pairs are linked into identities. */
export function modelLinkage(model: Pick<IdentityModel, 'linkage'>): Linkage {
  return model.linkage ?? 'components';
}

/** Checks a parsed model file; `where` names the file in messages. Throws ModelError. */
export function validateModel(raw: unknown, where: string): IdentityModel {
  if (typeof raw !== 'object' || raw === null) throw new ModelError(`${where}: not a JSON object`);
  const m = raw as Record<string, unknown>;
  for (const key of ['version', 'kind', 'created', 'threshold', 'parameters']) {
    if (m[key] === undefined) throw new ModelError(`${where}: field ${key} is missing`);
  }
  if (typeof m.version !== 'string' || !VERSION_PATTERN.test(m.version))
    throw new ModelError(`${where}: version must look like v1, v2, ...; got ${JSON.stringify(m.version)}`);
  if (!MODEL_KINDS.includes(m.kind as ModelKind))
    throw new ModelError(
      `${where}: kind must be one of ${MODEL_KINDS.join(', ')}; got ${JSON.stringify(m.kind)}`,
    );
  if (!isProb(m.threshold, true))
    throw new ModelError(
      `${where}: threshold must be a number in (0, 1); got ${JSON.stringify(m.threshold)}`,
    );
  const p = m.parameters as Record<string, unknown>;
  if (typeof p !== 'object' || p === null) throw new ModelError(`${where}: parameters must be an object`);
  const comparisons = checkComparisons(where, m.comparisons);
  if (m.blocking !== undefined) {
    const problem = blockingProblem(m.blocking, m.kind);
    if (problem) throw new ModelError(`${where}: blocking ${problem}`);
  }
  if (m.linkage !== undefined && !LINKAGES.includes(m.linkage as Linkage))
    throw new ModelError(
      `${where}: linkage must be one of ${LINKAGES.join(', ')}; got ${JSON.stringify(m.linkage)}`,
    );
  if (m.tfAdjust !== undefined) {
    if (m.kind !== 'fellegi-sunter')
      throw new ModelError(`${where}: tfAdjust applies to fellegi-sunter models only`);
    if (!Array.isArray(m.tfAdjust))
      throw new ModelError(`${where}: tfAdjust must be a list of comparison names`);
    for (const name of m.tfAdjust as unknown[]) {
      const c = comparisons.find((x) => x.name === name);
      if (!c?.tf)
        throw new ModelError(
          `${where}: tfAdjust ${JSON.stringify(name)} is not a comparison of this model with term frequencies`,
        );
    }
  }
  if (m.kind === 'fellegi-sunter') {
    if (p.lambda === undefined) throw new ModelError(`${where}: parameter lambda is missing`);
    if (!isProb(p.lambda, true))
      throw new ModelError(`${where}: parameter lambda must be in (0, 1); got ${JSON.stringify(p.lambda)}`);
    if (
      p.matchesPerRecord !== undefined &&
      !(
        typeof p.matchesPerRecord === 'number' &&
        Number.isFinite(p.matchesPerRecord) &&
        p.matchesPerRecord > 0
      )
    )
      throw new ModelError(
        `${where}: parameter matchesPerRecord must be a positive number; got ${JSON.stringify(p.matchesPerRecord)}`,
      );
    const levels = (c: Comparison) => c.levels;
    const prob = (x: unknown) => isProb(x, true);
    checkTable(where, 'm', p.m, comparisons, levels, prob, 'a probability in (0, 1)');
    checkTable(where, 'u', p.u, comparisons, levels, prob, 'a probability in (0, 1)');
  } else {
    if (p.intercept === undefined) throw new ModelError(`${where}: parameter intercept is missing`);
    const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
    if (!finite(p.intercept)) throw new ModelError(`${where}: parameter intercept must be a finite number`);
    checkTable(
      where,
      'weights',
      p.weights,
      comparisons,
      (c) => [...c.levels, 'missing'],
      finite,
      'a finite number',
    );
  }
  return raw as IdentityModel;
}

function num(x: number): string {
  // DOUBLE literal at full precision (a bare 0.123 would be a DECIMAL and may overflow in sums).
  return `${x.toExponential(17)}`;
}

/** The prior a Fellegi-Sunter model uses on `records` records (its lambda unless it scales). */
export function priorFor(params: FellegiSunterParameters, records?: number): number {
  if (params.matchesPerRecord === undefined || records === undefined || records < 2) return params.lambda;
  return Math.min(0.5, Math.max(1e-12, (2 * params.matchesPerRecord) / (records - 1)));
}

/**
 * Additive weight of each comparison level in the model's own scale (log2 odds or logit); the
 * base of a scaling Fellegi-Sunter model is its prior on `records` records.
 */
export function levelWeights(model: IdentityModel, records?: number): { base: number; weights: LevelTable } {
  const weights: LevelTable = {};
  if (model.kind === 'fellegi-sunter') {
    const { m, u } = model.parameters;
    const lambda = priorFor(model.parameters, records);
    for (const c of modelComparisons(model)) {
      weights[c.name] = Object.fromEntries(
        c.levels.map((l) => [l, Math.log2(m[c.name]![l]! / u[c.name]![l]!)]),
      );
      weights[c.name]!.missing = 0;
    }
    return { base: Math.log2(lambda / (1 - lambda)), weights };
  }
  return { base: model.parameters.intercept, weights: model.parameters.weights };
}

function tfAdjusted(model: IdentityModel, c: Comparison): boolean {
  return model.kind === 'fellegi-sunter' && !!c.tf && (model.tfAdjust ?? []).includes(c.name);
}

/**
 * The comparisons of `model` that score on data with `usable` comparisons (default: all of the
 * model's). A comparison left out (its field absent) adds nothing to the score.
 */
export function scoredComparisons(model: IdentityModel, usable?: readonly Comparison[]): Comparison[] {
  const names = usable ? new Set(usable.map((c) => c.name)) : undefined;
  return modelComparisons(model).filter((c) => !names || names.has(c.name));
}

/**
 * SQL expression: the model's match probability from the c_<comparison> level columns (and the
 * t_<comparison> term frequencies of adjusted comparisons).
 */
export function scoreSql(
  model: IdentityModel,
  opts: { prefix?: string; usable?: readonly Comparison[]; records?: number } = {},
): string {
  const prefix = opts.prefix ?? '';
  const { base, weights } = levelWeights(model, opts.records);
  const terms = scoredComparisons(model, opts.usable).map((c) => {
    const w = weights[c.name]!;
    const whens = c.levels.map((l, i) => {
      if (i === 0 && tfAdjusted(model, c) && model.kind === 'fellegi-sunter') {
        const m0 = model.parameters.m[c.name]![l]!;
        return `WHEN 0 THEN coalesce(${num(Math.log2(m0))} - log2(${prefix}${tfColumn(c)}), ${num(w[l]!)})`;
      }
      return `WHEN ${i} THEN ${num(w[l]!)}`;
    });
    return `CASE ${prefix}${levelColumn(c)} ${whens.join(' ')} ELSE ${num(w.missing ?? 0)} END`;
  });
  const total = `(${num(base)}${terms.map((t) => ` + ${t}`).join('')})`;
  return model.kind === 'fellegi-sunter'
    ? `1.0 / (1.0 + pow(2.0, -${total}))`
    : `1.0 / (1.0 + exp(-${total}))`;
}

/**
 * The same score in TypeScript, from level indexes (null = missing) and, for adjusted
 * comparisons, term frequencies: the tests' independent check.
 */
export function scoreLevels(
  model: IdentityModel,
  levels: Record<string, number | null>,
  tf: Record<string, number> = {},
  records?: number,
): number {
  const { base, weights } = levelWeights(model, records);
  let total = base;
  for (const c of modelComparisons(model)) {
    const idx = levels[c.name];
    const w = weights[c.name]!;
    if (idx === 0 && tfAdjusted(model, c) && tf[c.name] !== undefined && model.kind === 'fellegi-sunter')
      total += Math.log2(model.parameters.m[c.name]![c.levels[0]!]! / tf[c.name]!);
    else total += idx === null || idx === undefined ? (w.missing ?? 0) : w[c.levels[idx]!]!;
  }
  return model.kind === 'fellegi-sunter' ? 1 / (1 + 2 ** -total) : 1 / (1 + Math.exp(-total));
}
