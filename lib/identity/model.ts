// Identity models: the JSON files of the registry (models/identity/<version>.json), their
// validation (a missing parameter is named), and the SQL that scores a pair's comparison levels.
// Both kinds are additive over comparison levels, so one scoring query shape serves both:
//   fellegi-sunter: match weight W = log2(lambda/(1-lambda)) + sum log2(m/u); p = 1/(1+2^-W)
//   logistic:       logit z = intercept + sum weight[level] (missing has its own weight); p = 1/(1+e^-z)
import { COMPARISONS, levelColumn } from './comparisons.js';

export type ModelKind = 'fellegi-sunter' | 'logistic';
export const MODEL_KINDS: ModelKind[] = ['fellegi-sunter', 'logistic'];

/** Per comparison, per level name: a number. */
export type LevelTable = Record<string, Record<string, number>>;

export interface FellegiSunterParameters {
  /** Prior share of matches among candidate pairs. */
  lambda: number;
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
  levels: (c: (typeof COMPARISONS)[number]) => readonly string[],
  valid: (x: unknown) => boolean,
  expect: string,
): void {
  if (typeof table !== 'object' || table === null)
    throw new ModelError(`${where}: parameter ${name} is missing`);
  const t = table as Record<string, unknown>;
  for (const c of COMPARISONS) {
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
  if (m.kind === 'fellegi-sunter') {
    if (p.lambda === undefined) throw new ModelError(`${where}: parameter lambda is missing`);
    if (!isProb(p.lambda, true))
      throw new ModelError(`${where}: parameter lambda must be in (0, 1); got ${JSON.stringify(p.lambda)}`);
    const levels = (c: (typeof COMPARISONS)[number]) => c.levels;
    const prob = (x: unknown) => isProb(x, true);
    checkTable(where, 'm', p.m, levels, prob, 'a probability in (0, 1)');
    checkTable(where, 'u', p.u, levels, prob, 'a probability in (0, 1)');
  } else {
    if (p.intercept === undefined) throw new ModelError(`${where}: parameter intercept is missing`);
    const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
    if (!finite(p.intercept)) throw new ModelError(`${where}: parameter intercept must be a finite number`);
    checkTable(where, 'weights', p.weights, (c) => [...c.levels, 'missing'], finite, 'a finite number');
  }
  return raw as IdentityModel;
}

function num(x: number): string {
  // DOUBLE literal at full precision (a bare 0.123 would be a DECIMAL and may overflow in sums).
  return `${x.toExponential(17)}`;
}

/** Additive weight of each comparison level in the model's own scale (log2 odds or logit). */
export function levelWeights(model: IdentityModel): { base: number; weights: LevelTable } {
  const weights: LevelTable = {};
  if (model.kind === 'fellegi-sunter') {
    const { lambda, m, u } = model.parameters;
    for (const c of COMPARISONS) {
      weights[c.name] = Object.fromEntries(
        c.levels.map((l) => [l, Math.log2(m[c.name]![l]! / u[c.name]![l]!)]),
      );
      weights[c.name]!.missing = 0;
    }
    return { base: Math.log2(lambda / (1 - lambda)), weights };
  }
  return { base: model.parameters.intercept, weights: model.parameters.weights };
}

/** SQL expression: the model's match probability from the c_<comparison> level columns. */
export function scoreSql(model: IdentityModel, prefix = ''): string {
  const { base, weights } = levelWeights(model);
  const terms = COMPARISONS.map((c) => {
    const w = weights[c.name]!;
    const whens = c.levels.map((l, i) => `WHEN ${i} THEN ${num(w[l]!)}`).join(' ');
    return `CASE ${prefix}${levelColumn(c)} ${whens} ELSE ${num(w.missing ?? 0)} END`;
  });
  const total = `(${num(base)} + ${terms.join(' + ')})`;
  return model.kind === 'fellegi-sunter'
    ? `1.0 / (1.0 + pow(2.0, -${total}))`
    : `1.0 / (1.0 + exp(-${total}))`;
}

/** The same score in TypeScript, from level indexes (null = missing): the tests' independent check. */
export function scoreLevels(model: IdentityModel, levels: Record<string, number | null>): number {
  const { base, weights } = levelWeights(model);
  let total = base;
  for (const c of COMPARISONS) {
    const idx = levels[c.name];
    const w = weights[c.name]!;
    total += idx === null || idx === undefined ? (w.missing ?? 0) : w[c.levels[idx]!]!;
  }
  return model.kind === 'fellegi-sunter' ? 1 / (1 + 2 ** -total) : 1 / (1 + Math.exp(-total));
}
