// Blocking: candidate pairs are records that share a key under at least one rule. Each rule's
// keys are spread over shards (a hash of the key), and a pair is emitted only by the FIRST rule
// that links it: a later rule skips pairs an earlier rule already has, so the union over rules
// and shards has no duplicates without any shuffle between shards.
export interface BlockingRule {
  name: string;
  description: string;
  /** SQL over the normalized columns; NULL means the record has no key under this rule. */
  key: string;
}

export const BLOCKING_RULES: BlockingRule[] = [
  { name: 'email', description: 'same normalized email', key: 'email' },
  { name: 'phone', description: 'same 10-digit phone', key: 'phone' },
  {
    name: 'zip_last',
    description: 'same ZIP5 and first 3 letters of the last name',
    key: `zip5 || '|' || left(ln, 3)`,
  },
  {
    name: 'dob_initials',
    description: 'same date of birth and the same (sorted) first/last initials, nicknames resolved',
    key: `CAST(dob AS VARCHAR) || '|' || least(left(fn_canon, 1), left(ln, 1)) || greatest(left(fn_canon, 1), left(ln, 1))`,
  },
  {
    name: 'street_first',
    description: 'same standardized street line and first initial',
    key: `street || '|' || left(fn_canon, 1)`,
  },
];

/** The blocking rule index (0-based) that owns a pair, for `l`/`r` rows of the prep table. */
export function ownerRuleSql(): string {
  return `CASE ${BLOCKING_RULES.map((r, i) => `WHEN l.k_${r.name} = r.k_${r.name} THEN ${i}`).join(' ')} END`;
}

/**
 * Candidate pairs of one shard: records sharing a rule's key in this shard, left_id < right_id,
 * each pair once and only in the shard of its owner rule (the first rule that links it). Selects
 * `cols` (SQL over aliases l and r, rows of `table`) plus left_id, right_id and rule.
 *
 * The self-joins run on narrow (rid, key) rows with integer ids and the pairs are deduplicated
 * before the wide rows are joined back for the comparisons: joining the wide rows in every rule's
 * join was 1.5x slower (bench:model-scoring). Within the shard GROUP BY keeps a pair once, under
 * the lowest rule linking it here. With several shards the owner check then drops pairs whose
 * owner is an earlier rule with its key in another shard, so the union over shards has no
 * duplicates; with one shard every rule is here, the lowest rule is the owner, and the check
 * (a fifth of the scoring time) is skipped.
 */
export function shardPairsSql(opts: { table: string; shard: number; shards: number; cols: string }): string {
  const { table, shard } = opts;
  const ruleJoins = BLOCKING_RULES.map((rule, i) => {
    const side = `(SELECT rid, k_${rule.name} AS k FROM ${table} WHERE s_${rule.name} = ${shard})`;
    return `SELECT a.rid AS l, b.rid AS r, ${i}::TINYINT AS rule FROM ${side} a JOIN ${side} b ON a.k = b.k AND a.rid < b.rid`;
  }).join('\n      UNION ALL ');
  // l/r follow rid order; the pair is written with left_id < right_id (record_id order).
  return `SELECT least(l.record_id, r.record_id) AS left_id, greatest(l.record_id, r.record_id) AS right_id,
      p.rule, ${opts.cols}
    FROM (SELECT l, r, min(rule) AS rule FROM (${ruleJoins}) GROUP BY l, r) p
    JOIN ${table} l ON l.rid = p.l JOIN ${table} r ON r.rid = p.r
    ${opts.shards > 1 ? `WHERE ${ownerRuleSql()} = p.rule` : ''}`;
}
