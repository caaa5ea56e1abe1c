// The blocking rules a run uses with its champion: the model's own rules on the fields present,
// or, for a model that chooses per run (`blocking: { choose }`), the rule set proposeBlocking
// picks on the run's records within the model's pair budget. A choosing model estimates recall
// with its own m and u rather than by EM on the records, so the choice costs a few key counts
// and one sample join, not a training; and it is deterministic (samples key on record_id), so a
// retried activity chooses the same rules.
import type { DuckDBConnection } from '@duckdb/node-api';
import { proposeBlocking, type RuleStat } from './blocking-choice.js';
import { usableRules, type BlockingRule } from './blocking.js';
import { usableComparisons } from './comparisons.js';
import type { FieldPresence } from './fields.js';
import { fromTable } from './fit.js';
import { blockingChoice, modelComparisons, modelRules, type IdentityModel } from './model.js';
import { prepareRecords, rekeyRecords, type PrepareOptions, type PreparedTable } from './prepare.js';

/** No blocking rule of the model applies to these records: the run cannot block. */
export class NoBlockingRules extends Error {
  override name = 'NoBlockingRules';
}

/** Without minPairs a choice may spend at least this many pairs (small inputs need the room). */
export const CHOICE_MIN_PAIRS = 200_000;

export interface RunBlocking {
  rules: BlockingRule[];
  /** The model's rules left out for want of a field (a chosen set leaves none out). */
  leftOut: string[];
  /** Present when the rules were chosen on these records. */
  chosen?: { maxPairs: number; estimatedRecall: number; pairs: number };
}

/** The pair budget of a choosing model on `records` records. */
export function choiceBudget(choose: { pairsPerRecord: number; minPairs?: number }, records: number): number {
  return Math.max(choose.minPairs ?? CHOICE_MIN_PAIRS, Math.round(choose.pairsPerRecord * records));
}

function fixedRules(model: IdentityModel, present: FieldPresence['present']): RunBlocking {
  const all = modelRules(model);
  const rules = usableRules(all, present);
  if (rules.length === 0)
    throw new NoBlockingRules(
      `model ${model.version}: none of its blocking rules (${all.map((r) => r.name).join(', ')}) applies to the fields present (${present.join(', ')})`,
    );
  return { rules, leftOut: all.filter((r) => !rules.includes(r)).map((r) => r.name) };
}

/**
 * The rules `model` blocks with on the records of the `prep` table (prepareRecords). Throws
 * NoBlockingRules, naming the model, when no rule applies.
 */
export async function runRules(
  conn: DuckDBConnection,
  model: IdentityModel,
  opts: { present: FieldPresence['present']; records: number; maxBlockSize: number },
): Promise<RunBlocking> {
  const choose = blockingChoice(model);
  if (!choose) return fixedRules(model, opts.present);
  if (model.kind !== 'fellegi-sunter')
    throw new Error(`model ${model.version}: only fellegi-sunter models choose`);
  const comparisons = usableComparisons(modelComparisons(model), opts.present);
  const maxPairs = choiceBudget(choose, opts.records);
  const proposal = await proposeBlocking(conn, {
    present: opts.present,
    maxPairs,
    maxBlockSize: opts.maxBlockSize,
    estimate: {
      comparisons,
      m: fromTable(model.parameters.m, comparisons),
      u: fromTable(model.parameters.u, comparisons),
    },
  });
  if (proposal.chosen.length > 0)
    return {
      rules: proposal.chosen,
      leftOut: [],
      chosen: { maxPairs, estimatedRecall: proposal.recall, pairs: proposal.pairs },
    };
  // No rule adds estimated recall: the records hold no probable match to find (a small input, or
  // one without duplicates). Block with what fits the budget anyway, in candidate order.
  const fitting = rulesWithin(proposal.stats, maxPairs);
  if (fitting.length === 0)
    throw new NoBlockingRules(
      `model ${model.version}: no blocking rule over the fields present (${opts.present.join(', ')}) fits its budget of ${maxPairs.toLocaleString('en-US')} candidate pairs`,
    );
  return {
    rules: fitting.map((s) => s.rule),
    leftOut: [],
    chosen: { maxPairs, estimatedRecall: 0, pairs: fitting.reduce((n, s) => n + s.pairs, 0) },
  };
}

/** The rules, in their order, whose pair counts fit `maxPairs` together (each taken if it still fits). */
function rulesWithin(stats: RuleStat[], maxPairs: number): RuleStat[] {
  const out: RuleStat[] = [];
  let used = 0;
  for (const s of stats)
    if (used + s.pairs <= maxPairs) {
      out.push(s);
      used += s.pairs;
    }
  return out;
}

/**
 * Creates the `prep` table (prepareRecords) keyed for the rules `model` blocks with on these
 * records: in one pass for a model with rules; for a choosing model, prepared, chosen on, then
 * keyed.
 */
export async function prepareForModel(
  conn: DuckDBConnection,
  model: IdentityModel,
  opts: Omit<PrepareOptions, 'rules' | 'fields' | 'table'> & {
    fields: FieldPresence;
    /** Called before a choosing model measures the candidate rules (a progress report). */
    onChoosing?: (records: number) => void;
  },
): Promise<PreparedTable & RunBlocking> {
  const { onChoosing, ...prepare } = opts;
  if (!blockingChoice(model)) {
    const fixed = fixedRules(model, opts.fields.present);
    return { ...(await prepareRecords(conn, { ...prepare, rules: fixed.rules })), ...fixed };
  }
  const prepared = await prepareRecords(conn, { ...prepare, rules: [] });
  onChoosing?.(prepared.records);
  const blocking = await runRules(conn, model, {
    present: opts.fields.present,
    records: prepared.records,
    maxBlockSize: opts.maxBlockSize,
  });
  const cappedKeys = await rekeyRecords(conn, {
    rules: blocking.rules,
    shards: opts.shards,
    maxBlockSize: opts.maxBlockSize,
  });
  return { ...prepared, cappedKeys, ...blocking };
}
