// Blocking: candidate pairs are records that share a key under at least one rule. A rule is a
// list of key parts (normalized values of the prep table); a record has a key only when every
// part has a value. Each rule's keys are spread over shards (a hash of the key), and a pair is
// emitted only by the FIRST rule that links it: a later rule skips pairs an earlier rule already
// has, so the union over rules and shards has no duplicates without any shuffle between shards.
// Rules are data (a model file may carry its own), built only from the parts below, so no SQL
// from a file ever runs.
import type { FieldName } from './fields.js';

export interface KeyPart {
  /** SQL over the prep table's normalized columns. */
  sql: string;
  /** The input fields the part reads: a rule on an absent field is dropped. */
  fields: FieldName[];
  description: string;
}

export const KEY_PARTS = {
  fn: { sql: 'fn_canon', fields: ['first_name'], description: 'first name (nicknames resolved)' },
  fn1: { sql: 'left(fn_canon, 1)', fields: ['first_name'], description: 'first initial' },
  fn_ph: { sql: 'fn_ph', fields: ['first_name'], description: 'Soundex of the first name' },
  ln: { sql: 'ln', fields: ['last_name'], description: 'last name' },
  ln3: { sql: 'left(ln, 3)', fields: ['last_name'], description: 'first 3 letters of the last name' },
  ln_ph: { sql: 'ln_ph', fields: ['last_name'], description: 'Soundex of the last name' },
  ln1: { sql: 'left(ln, 1)', fields: ['last_name'], description: 'last initial' },
  initials: {
    sql: 'least(left(fn_canon, 1), left(ln, 1)) || greatest(left(fn_canon, 1), left(ln, 1))',
    fields: ['first_name', 'last_name'],
    description: '(sorted) first/last initials',
  },
  dob: { sql: 'CAST(dob AS VARCHAR)', fields: ['dob'], description: 'date of birth (valid dates)' },
  dob_s: { sql: 'dob_s', fields: ['dob'], description: 'date of birth as written (YYYYMMDD)' },
  dob_y: { sql: 'left(dob_s, 4)', fields: ['dob'], description: 'year of birth' },
  dob_md: { sql: 'substr(dob_s, 5, 4)', fields: ['dob'], description: 'month and day of birth' },
  email: { sql: 'email', fields: ['email'], description: 'normalized email' },
  phone: { sql: 'phone', fields: ['phone'], description: '10-digit phone' },
  zip5: { sql: 'zip5', fields: ['zip'], description: 'US ZIP5' },
  pc: { sql: 'pc', fields: ['zip'], description: 'postcode' },
  pc3: { sql: 'left(pc, 3)', fields: ['zip'], description: 'first 3 characters of the postcode' },
  street: { sql: 'street', fields: ['address_line'], description: 'standardized street line' },
  hn: { sql: 'hn', fields: ['address_line'], description: 'house number' },
  st: { sql: 'st', fields: ['address_line'], description: 'street name without the number' },
  city: { sql: 'city_n', fields: ['city'], description: 'city' },
  state: { sql: 'state_n', fields: ['state'], description: 'state' },
} satisfies Record<string, KeyPart>;
export type KeyPartName = keyof typeof KEY_PARTS;

export interface BlockingRule {
  /** Identifier (letters, digits, underscores): column suffix k_<name>, report key. */
  name: string;
  parts: KeyPartName[];
}

/** The rules of the shipped v1/v2 models (email and phone pairs, then three two-part keys). */
export const DEFAULT_RULES: BlockingRule[] = [
  { name: 'email', parts: ['email'] },
  { name: 'phone', parts: ['phone'] },
  { name: 'zip_last', parts: ['zip5', 'ln3'] },
  { name: 'dob_initials', parts: ['dob', 'initials'] },
  { name: 'street_first', parts: ['street', 'fn1'] },
];

export function isKeyPart(x: string): x is KeyPartName {
  return Object.hasOwn(KEY_PARTS, x);
}

/** A rule's default name: its parts joined (zip5 + ln3 -> zip5_ln3). */
export function ruleName(parts: KeyPartName[]): string {
  return parts.join('_');
}

export function ruleFields(rule: BlockingRule): FieldName[] {
  return [...new Set(rule.parts.flatMap((p) => KEY_PARTS[p].fields))];
}

export function describeRule(rule: BlockingRule): string {
  return rule.parts.map((p) => KEY_PARTS[p].description).join(' + ');
}

/** The key SQL of a rule: NULL when any part is NULL. */
export function keySql(rule: BlockingRule): string {
  return rule.parts.map((p) => KEY_PARTS[p].sql).join(` || '|' || `);
}

/** The rules whose fields are all present; the others are left out (and reported). */
export function usableRules(rules: BlockingRule[], present: readonly FieldName[]): BlockingRule[] {
  return rules.filter((r) => ruleFields(r).every((f) => present.includes(f)));
}

/** The blocking rule index (0-based) that owns a pair, for `l`/`r` rows of the prep table. */
export function ownerRuleSql(rules: BlockingRule[]): string {
  return `CASE ${rules.map((r, i) => `WHEN l.k_${r.name} = r.k_${r.name} THEN ${i}`).join(' ')} END`;
}

/**
 * Candidate pairs of one shard: records sharing a rule's key in this shard, left_id < right_id,
 * each pair once and only in the shard of its owner rule (the first rule that links it). Selects
 * `cols` (SQL over aliases l and r, rows of `table`) plus left_id, right_id, rule and pair (the
 * two rids packed into a BIGINT: ordering by it orders by left_id, right_id).
 *
 * The self-joins run on narrow (rid, key) rows with integer ids and the pairs are deduplicated
 * before the wide rows are joined back for the comparisons: joining the wide rows in every rule's
 * join was 1.5x slower (bench:model-scoring). Within the shard GROUP BY keeps a pair once, under
 * the lowest rule linking it here, grouping on the pair packed into one BIGINT (l in the high 32
 * bits, r in the low: rids are non-negative INTEGERs), which hashes and compares at a fraction of
 * the cost of two columns (~10% of v5's scoring query at 1M records). With several shards the
 * owner check then drops pairs whose owner is an earlier rule with its key in another shard, so
 * the union over shards has no duplicates; with one shard every rule is here, the lowest rule is
 * the owner, and the check (a fifth of the scoring time) is skipped.
 *
 * `table` must number its rows as keyRecords does (rid in record_id order): left_id is l's id.
 */
export function shardPairsSql(opts: {
  table: string;
  shard: number;
  shards: number;
  cols: string;
  rules: BlockingRule[];
}): string {
  const { table, shard, rules } = opts;
  if (rules.length === 0) throw new Error('no blocking rules');
  const ruleJoins = rules
    .map((rule, i) => {
      const side = `(SELECT rid, k_${rule.name} AS k FROM ${table} WHERE s_${rule.name} = ${shard})`;
      return `SELECT (a.rid::BIGINT << 32) | b.rid AS pair, ${i}::TINYINT AS rule FROM ${side} a JOIN ${side} b ON a.k = b.k AND a.rid < b.rid`;
    })
    .join('\n      UNION ALL ');
  // l/r follow rid order, which is record_id order (keyRecords): left_id < right_id, and `pair`
  // sorts pairs by (left_id, right_id).
  return `SELECT l.record_id AS left_id, r.record_id AS right_id, p.pair, p.rule, ${opts.cols}
    FROM (SELECT pair, (pair >> 32)::INTEGER AS l, (pair & 4294967295)::INTEGER AS r, rule
          FROM (SELECT pair, min(rule) AS rule FROM (${ruleJoins}) GROUP BY pair)) p
    JOIN ${table} l ON l.rid = p.l JOIN ${table} r ON r.rid = p.r
    ${opts.shards > 1 ? `WHERE ${ownerRuleSql(rules)} = p.rule` : ''}`;
}

/** Checks rules read from a file; `where` names it. Returns the message of the first problem. */
export function ruleProblem(raw: unknown): string | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return 'must be a non-empty list of rules';
  const names = new Set<string>();
  for (const [i, r] of raw.entries()) {
    const rule = r as { name?: unknown; parts?: unknown };
    if (typeof rule?.name !== 'string' || !/^[a-z][a-z0-9_]{0,40}$/.test(rule.name))
      return `rule ${i}: name must be lower-case letters, digits and _ (got ${JSON.stringify(rule?.name)})`;
    if (names.has(rule.name)) return `rule ${i}: name ${rule.name} is used twice`;
    names.add(rule.name);
    if (!Array.isArray(rule.parts) || rule.parts.length === 0)
      return `rule ${rule.name}: parts must be a non-empty list`;
    for (const p of rule.parts)
      if (typeof p !== 'string' || !isKeyPart(p))
        return `rule ${rule.name}: unknown key part ${JSON.stringify(p)} (known: ${Object.keys(KEY_PARTS).join(', ')})`;
  }
  return undefined;
}
