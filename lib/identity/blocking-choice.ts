// Blocking chosen for the data (`daybreak models blocking`): for each candidate rule over the
// fields present (single fields and combinations, with normalized keys such as Soundex and
// postcode prefixes), its pair count and its recall, then the rule set with the most recall
// within a pair budget. Recall is measured on labelled true pairs, or estimated without labels
// as the share of the probable matches (weighted by a model's match probability) among the
// pairs the candidate rules find around a sample of records.
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  describeRule,
  KEY_PARTS,
  ruleName,
  usableRules,
  type BlockingRule,
  type KeyPartName,
} from './blocking.js';
import { comparisonColumnsSql, levelColumn, type Comparison } from './comparisons.js';
import type { FieldName } from './fields.js';
import { emLambda, posteriors } from './fit.js';
import { stableRecordHashSql } from './prepare.js';

/** Candidate key combinations, in a stable order (a tie goes to the earlier rule). */
const CANDIDATE_PARTS: KeyPartName[][] = [
  ['email'],
  ['phone'],
  ['fn', 'ln'],
  ['fn_ph', 'ln_ph'],
  ['dob_s'],
  ['pc', 'ln'],
  ['pc', 'fn'],
  ['pc', 'hn'],
  ['street'],
  ['hn', 'st'],
  ['dob_s', 'fn1'],
  ['dob_s', 'ln1'],
  ['dob', 'initials'],
  ['dob_y', 'fn_ph', 'ln_ph'],
  ['dob_md', 'ln_ph'],
  ['dob_md', 'fn_ph'],
  ['dob_y', 'pc'],
  ['ln_ph', 'fn1'],
  ['fn_ph', 'ln1'],
  ['ln', 'city'],
  ['fn', 'city'],
  ['ln_ph', 'pc3'],
  ['fn_ph', 'pc3'],
  ['zip5', 'ln3'],
  ['street', 'fn1'],
  ['st', 'ln_ph'],
  ['hn', 'ln_ph'],
  ['ln', 'state', 'fn1'],
  ['dob_s', 'state'],
  ['pc'],
  ['ln'],
  ['fn'],
];

/** The candidate rules whose fields are present. */
export function candidateRules(present: readonly FieldName[]): BlockingRule[] {
  const rules = CANDIDATE_PARTS.map((parts) => ({ name: ruleName(parts), parts }));
  return usableRules(rules, present);
}

export interface RuleStat {
  rule: BlockingRule;
  description: string;
  /** Candidate pairs the rule alone makes (blocks over maxBlockSize left out). */
  pairs: number;
  /** Share of the true (or probable) pairs the rule alone finds. */
  recall: number;
}

export interface BlockingProposal {
  /** How recall was measured: on labels, or estimated from a model's match probabilities. */
  recallFrom: 'labels' | 'estimated';
  /** True pairs (labels), or the expected number of matches among the pairs examined. */
  truePairs: number;
  maxPairs: number;
  stats: RuleStat[];
  chosen: BlockingRule[];
  /** Sum of the chosen rules' pair counts (an upper bound: a pair two rules find counts twice). */
  pairs: number;
  recall: number;
}

/** Key columns kq_<i> for every candidate rule, NULL where the block exceeds maxBlockSize. */
async function keyTable(conn: DuckDBConnection, rules: BlockingRule[], maxBlockSize: number): Promise<void> {
  const keys = rules.map((r, i) => `${r.parts.map((p) => KEY_PARTS[p].sql).join(` || '|' || `)} AS kq_${i}`);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE cand_keys_raw AS SELECT rid, record_id, ${keys.join(', ')} FROM prep`,
  );
  const capped = rules.map(
    (_, i) =>
      `CASE WHEN kq_${i} IN (SELECT k FROM (SELECT kq_${i} AS k, count(*) AS n FROM cand_keys_raw WHERE kq_${i} IS NOT NULL GROUP BY 1) WHERE n > ${maxBlockSize}) THEN NULL ELSE kq_${i} END AS kq_${i}`,
  );
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE cand_keys AS SELECT rid, record_id, ${capped.join(', ')} FROM cand_keys_raw`,
  );
  await conn.run('DROP TABLE cand_keys_raw');
}

async function pairCounts(conn: DuckDBConnection, rules: BlockingRule[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < rules.length; i++) {
    const r = await conn.runAndReadAll(
      `SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM cand_keys WHERE kq_${i} IS NOT NULL GROUP BY kq_${i})`,
    );
    out.push(Number(r.getRows()[0]![0]));
  }
  return out;
}

/** SQL: the bit mask of the rules whose key both sides of a pair (aliases a, b) share. */
function maskSql(rules: BlockingRule[]): string {
  if (rules.length > 62) throw new Error('at most 62 candidate rules');
  return rules
    .map((_, i) => `(CASE WHEN a.kq_${i} = b.kq_${i} THEN ${2n ** BigInt(i)} ELSE 0 END)::BIGINT`)
    .join(' + ');
}

/** Coverage masks of the labelled true pairs: weight per mask of rules that find them. */
async function labelledMasks(
  conn: DuckDBConnection,
  rules: BlockingRule[],
  labels: string,
): Promise<CoverageMasks> {
  const rows = (
    await conn.runAndReadAll(`
      WITH t AS (SELECT k.*, l.person_id FROM cand_keys k JOIN ${labels} l USING (record_id))
      SELECT ${maskSql(rules)} AS mask, count(*) AS n
      FROM t a JOIN t b ON a.person_id = b.person_id AND a.rid < b.rid GROUP BY 1`)
  ).getRows();
  return new Map(rows.map(([m, n]) => [BigInt(m as bigint), Number(n)]));
}

/**
 * Coverage masks estimated without labels: the pairs any candidate rule finds around a sample
 * of records (rules over the pair budget excluded), each weighted by its match probability under
 * m, u and a lambda fitted on them.
 */
async function estimatedMasks(
  conn: DuckDBConnection,
  rules: BlockingRule[],
  counts: number[],
  opts: {
    comparisons: readonly Comparison[];
    m: number[][];
    u: number[][];
    maxPairs: number;
    sampleRecords: number;
  },
): Promise<CoverageMasks> {
  const n = Number((await conn.runAndReadAll('SELECT count(*) FROM cand_keys')).getRows()[0]![0]);
  const share = Math.min(1, opts.sampleRecords / n);
  const joins = rules
    .map((_, i) => i)
    .filter((i) => counts[i]! > 0 && counts[i]! <= opts.maxPairs)
    .map(
      (i) =>
        `SELECT a.rid AS l, b.rid AS r FROM anchors a JOIN cand_keys b ON a.kq_${i} = b.kq_${i} AND a.rid <> b.rid`,
    );
  if (joins.length === 0) return new Map();
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE anchors AS SELECT * FROM cand_keys WHERE hash(${stableRecordHashSql('record_id')}, 'anchor') % 1000000 < ${Math.ceil(share * 1e6)}`,
  );
  const anchors = Number((await conn.runAndReadAll('SELECT count(*) FROM anchors')).getRows()[0]![0]);
  await conn.run(`CREATE OR REPLACE TEMP TABLE est_pairs AS
    SELECT ${comparisonColumnsSql(opts.comparisons)}, ${maskSql(rules)} AS mask
    FROM (SELECT DISTINCT least(l, r) AS l, greatest(l, r) AS r FROM (${joins.join(' UNION ALL ')})) p
    JOIN prep l ON l.rid = p.l JOIN prep r ON r.rid = p.r
    JOIN cand_keys a ON a.rid = p.l JOIN cand_keys b ON b.rid = p.r`);
  // Pairs grouped by (comparison levels, mask): a few thousand groups.
  const cols = opts.comparisons.map(levelColumn);
  const rows = (
    await conn.runAndReadAll(
      `SELECT ${cols.join(', ')}, mask, count(*) FROM est_pairs GROUP BY ALL ORDER BY ALL`,
    )
  ).getRows();
  await conn.run('DROP TABLE est_pairs');
  await conn.run('DROP TABLE anchors');
  const k = cols.length;
  const patterns = rows.map((r) => ({
    levels: r.slice(0, k).map((x) => (x === null ? null : Number(x))),
    count: Number(r[k + 1]),
  }));
  // The all-pairs prior around the anchors (every pair no rule finds counted a non-match).
  const lambda = emLambda(patterns, opts.m, opts.u, { totalPairs: anchors * (n - 1) });
  const post = posteriors(patterns, opts.m, opts.u, lambda);
  const masks = new Map<bigint, number>();
  rows.forEach((r, i) => {
    const mask = BigInt(r[k] as bigint);
    masks.set(mask, (masks.get(mask) ?? 0) + patterns[i]!.count * post[i]!);
  });
  return masks;
}

/** Masks: for each set of rules (a bit per rule), the weight of the pairs exactly they find. */
export type CoverageMasks = Map<bigint, number>;

function recallOf(masks: CoverageMasks, chosen: number[], total: number): number {
  const bits = chosen.reduce((s, i) => s | (1n << BigInt(i)), 0n);
  let covered = 0;
  for (const [mask, w] of masks) if ((mask & bits) !== 0n) covered += w;
  return total > 0 ? covered / total : 0;
}

/**
 * Greedy budgeted coverage: repeatedly add the rule with the most newly covered weight per
 * pair among those that still fit the budget; also tries the rule with the most gain first, and
 * keeps the better result. Stops when no rule adds at least `minGain` of recall.
 */
export function chooseRules(
  masks: CoverageMasks,
  total: number,
  counts: number[],
  maxPairs: number,
  minGain = 5e-4,
): { chosen: number[]; recall: number; pairs: number } {
  const run = (byRatio: boolean) => {
    const chosen: number[] = [];
    let used = 0;
    let recall = 0;
    for (;;) {
      let best: { i: number; gain: number; score: number } | undefined;
      for (let i = 0; i < counts.length; i++) {
        if (chosen.includes(i) || used + counts[i]! > maxPairs) continue;
        const gain = recallOf(masks, [...chosen, i], total) - recall;
        if (gain < minGain) continue;
        const score = byRatio ? gain / Math.max(1, counts[i]!) : gain;
        if (!best || score > best.score) best = { i, gain, score };
      }
      if (!best) break;
      chosen.push(best.i);
      used += counts[best.i]!;
      recall += best.gain;
    }
    return { chosen, recall, pairs: used };
  };
  const a = run(true);
  const b = run(false);
  return b.recall > a.recall + 1e-9 ? b : a;
}

/**
 * Measures every candidate rule on the prep table and proposes a rule set. With `labels` (a
 * table record_id, person_id) recall is measured; else estimated from m and u (comparison
 * order as `comparisons`).
 */
export async function proposeBlocking(
  conn: DuckDBConnection,
  opts: {
    present: readonly FieldName[];
    maxPairs: number;
    maxBlockSize: number;
    labels?: string;
    estimate?: { comparisons: readonly Comparison[]; m: number[][]; u: number[][] };
    sampleRecords?: number;
  },
): Promise<BlockingProposal> {
  const rules = candidateRules(opts.present);
  if (rules.length === 0) throw new Error('no candidate blocking rule applies to the fields present');
  await keyTable(conn, rules, opts.maxBlockSize);
  const counts = await pairCounts(conn, rules);
  let masks: CoverageMasks;
  if (opts.labels) masks = await labelledMasks(conn, rules, opts.labels);
  else if (opts.estimate)
    masks = await estimatedMasks(conn, rules, counts, {
      ...opts.estimate,
      maxPairs: opts.maxPairs,
      sampleRecords: opts.sampleRecords ?? 5_000,
    });
  else throw new Error('proposeBlocking needs labels or a model to estimate recall');
  await conn.run('DROP TABLE cand_keys');
  const total = [...masks.values()].reduce((s, w) => s + w, 0);
  const stats = rules.map((rule, i) => ({
    rule,
    description: describeRule(rule),
    pairs: counts[i]!,
    recall: recallOf(masks, [i], total),
  }));
  const { chosen, recall, pairs } = chooseRules(masks, total, counts, opts.maxPairs);
  return {
    recallFrom: opts.labels ? 'labels' : 'estimated',
    truePairs: total,
    maxPairs: opts.maxPairs,
    stats,
    chosen: chosen.sort((a, b) => a - b).map((i) => rules[i]!),
    pairs,
    recall,
  };
}

/** The default pair budget: 20 candidate pairs per record, at least 200,000. */
export function defaultMaxPairs(records: number): number {
  return Math.max(200_000, 20 * records);
}
