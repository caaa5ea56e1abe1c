// Blocking: candidate pairs are records that share a key under at least one rule. Each rule's
// keys are spread over shards (md5 of the key), and a pair is emitted only by the FIRST rule
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
 * Candidate pairs of one shard: for each rule, records sharing the rule's key in this shard,
 * left_id < right_id, and no earlier rule linking the same two records. Selects `cols` (SQL over
 * aliases l and r) plus left_id, right_id and rule.
 */
export function shardPairsSql(opts: { table: string; shard: number; cols: string }): string {
  return BLOCKING_RULES.map((rule, i) => {
    const earlier = BLOCKING_RULES.slice(0, i)
      .map((e) => `coalesce(l.k_${e.name} = r.k_${e.name}, false)`)
      .join(' OR ');
    return `SELECT l.record_id AS left_id, r.record_id AS right_id, ${i}::TINYINT AS rule, ${opts.cols}
      FROM ${opts.table} l JOIN ${opts.table} r ON l.k_${rule.name} = r.k_${rule.name} AND l.record_id < r.record_id
      WHERE l.s_${rule.name} = ${opts.shard} AND r.s_${rule.name} = ${opts.shard}${earlier ? ` AND NOT (${earlier})` : ''}`;
  }).join('\nUNION ALL\n');
}
