// Comparison levels: each field of a candidate pair is put into one of a few ordered levels
// (strongest agreement first, `different` last; NULL when either side is missing) with DuckDB's
// string functions. Models score a pair from these levels, so a level's meaning is the same in
// every model version: a comparison is never redefined, a better one gets a new name. A model
// names the comparisons it uses (v1/v2: the six LEGACY ones). Every comparison is symmetric (a
// pair's levels do not depend on which record is l): blocking pairs records in row-id order.
import type { FieldName } from './fields.js';

export interface Comparison {
  name: string;
  levels: readonly string[];
  /** SQL over aliases l and r (rows of the prep table) giving the 0-based level, or NULL. */
  sql: string;
  /** The input fields it needs: absent fields leave the comparison out. */
  fields: FieldName[];
  /** The prep columns its SQL reads (what a shard file must carry). */
  columns: string[];
  /**
   * Term-frequency adjustment of the exact level (level 0): the prep column holding the share of
   * records with the value. A common value agreeing is weaker evidence than a rare one. Level 0
   * must be that value equal on both sides: the pair's frequency is read from l alone.
   */
  tf?: string;
  /**
   * Not scored (NULL) when an earlier comparison of the same list is at one of these levels:
   * the two would count one fact twice (Fellegi-Sunter assumes them independent). Reads the
   * earlier level column (DuckDB resolves a select-list alias defined before it).
   */
  skipWhen?: { comparison: string; levels: number[] };
}

const jw = (a: string, b: string) => `jaro_winkler_similarity(${a}, ${b})`;
/**
 * At most `k` edits apart. DuckDB's levenshtein counts bytes, so the byte lengths differing by
 * more than k already decide it: that test is nearly free and skips most levenshtein calls, the
 * costliest function here (~0.3 us a pair against ~0.1 us for Jaro-Winkler).
 */
const withinEdits = (a: string, b: string, k: number) =>
  `(abs(strlen(${a}) - strlen(${b})) <= ${k} AND levenshtein(${a}, ${b}) <= ${k})`;
/**
 * At most one edit apart, for values that nearly always have one length (phones, postcodes): one
 * edit between strings of the same length can only be a substitution, which hamming (also on
 * bytes) counts at a fraction of levenshtein's cost (phone: 133 -> 39 ms over 1.68M pairs). On
 * names, whose lengths often differ, the extra test cost more than it saved.
 */
const withinOneEditFixedLength = (a: string, b: string) =>
  `(CASE WHEN strlen(${a}) = strlen(${b}) THEN hamming(${a}, ${b}) <= 1
        ELSE abs(strlen(${a}) - strlen(${b})) = 1 AND levenshtein(${a}, ${b}) <= 1 END)`;
/**
 * A name's last three levels: `typo` (one edit, or Jaro-Winkler >= 0.92), `typo + 1` (close:
 * >= 0.8), else `typo + 2`. Written so that most pairs (Jaro-Winkler below 0.8) compute it once:
 * DuckDB evaluates a function in each WHEN it appears in (no common subexpressions in CASE).
 */
const nameTiers = (a: string, b: string, typo: number) =>
  `WHEN ${jw(a, b)} >= 0.8 THEN CASE WHEN ${jw(a, b)} >= 0.92 OR ${withinEdits(a, b, 1)} THEN ${typo} ELSE ${typo + 1} END
      WHEN ${withinEdits(a, b, 1)} THEN ${typo}
      ELSE ${typo + 2} END`;
/**
 * First and last name swapped between the records: one name equal across, the other close
 * (relatives share a surname, so one name equal across is not enough). The similarity is nested
 * under the equality: in an AND, DuckDB may compute it first (measured: 5x the cost).
 */
const swapped = `(CASE WHEN l.fn = r.ln THEN ${jw('l.ln', 'r.fn')} >= 0.9 ELSE false END
        OR CASE WHEN l.ln = r.fn THEN ${jw('l.fn', 'r.ln')} >= 0.9 ELSE false END)`;

/** City levels; NULL (not scored) where the postcodes agree when `unlessSamePostcode`. */
function citySql(opts: { unlessSamePostcode: boolean }): string {
  return `CASE WHEN l.city_n IS NULL OR r.city_n IS NULL${opts.unlessSamePostcode ? ' OR l.pc = r.pc' : ''} THEN NULL
      WHEN l.city_n = r.city_n THEN 0
      WHEN ${jw('l.city_n', 'r.city_n')} >= 0.88 THEN 1
      ELSE 2 END`;
}

/** State levels; NULL where the postcodes or the cities agree when `unlessSamePostcodeOrCity`. */
function stateSql(opts: { unlessSamePostcodeOrCity: boolean }): string {
  return `CASE WHEN l.state_n IS NULL OR r.state_n IS NULL${opts.unlessSamePostcodeOrCity ? ' OR l.pc = r.pc OR l.city_n = r.city_n' : ''} THEN NULL
      WHEN l.state_n = r.state_n THEN 0
      ELSE 1 END`;
}

/**
 * Postcode levels: exact / typo / the first 3 characters / different. The typo level is one edit,
 * and with `swaps` also two neighbouring characters swapped (a Damerau-Levenshtein distance of
 * 1): FEBRL's duplicates swap postcode digits more often than they change one (455 against 259
 * true pairs of benchmark B), and without it those pairs fell to `different`, whose penalty EM
 * then learnt to be mild (log2 m/u -3.2 on B; -6.05 with swaps as typos).
 */
function postcodeSql(opts: { swaps: boolean }): string {
  // A swap keeps the length, and from 4 characters on Jaro counts every character matched with
  // one transposition (similarity >= 0.91): both tests come before the costly
  // damerau_levenshtein (nested, as DuckDB may reorder the terms of an AND), which alone tripled
  // the comparison's time.
  const swap = `WHEN CASE WHEN strlen(l.pc) = strlen(r.pc) AND (strlen(l.pc) <= 3 OR jaro_similarity(l.pc, r.pc) >= 0.9)
        THEN damerau_levenshtein(l.pc, r.pc) = 1 ELSE false END THEN 1`;
  return `CASE WHEN l.pc IS NULL OR r.pc IS NULL THEN NULL
      WHEN l.pc = r.pc THEN 0
      WHEN ${withinOneEditFixedLength('l.pc', 'r.pc')} THEN 1
      ${opts.swaps ? swap : ''}
      WHEN left(l.pc, 3) = left(r.pc, 3) THEN 2
      ELSE 3 END`;
}

/** The comparisons of the shipped v1 and v2 models. */
export const LEGACY_COMPARISONS: Comparison[] = [
  {
    name: 'first_name',
    columns: ['fn', 'fn_canon', 'ln'],
    levels: ['exact', 'nickname', 'swapped', 'close', 'different'],
    fields: ['first_name'],
    sql: `CASE WHEN l.fn IS NULL OR r.fn IS NULL THEN NULL
      WHEN l.fn = r.fn THEN 0
      WHEN l.fn_canon = r.fn_canon THEN 1
      WHEN l.fn = r.ln OR l.ln = r.fn THEN 2
      WHEN ${jw('l.fn', 'r.fn')} >= 0.88 THEN 3
      ELSE 4 END`,
  },
  {
    name: 'last_name',
    columns: ['ln', 'fn'],
    levels: ['exact', 'swapped', 'close', 'different'],
    fields: ['last_name'],
    sql: `CASE WHEN l.ln IS NULL OR r.ln IS NULL THEN NULL
      WHEN l.ln = r.ln THEN 0
      WHEN l.ln = r.fn OR l.fn = r.ln THEN 1
      WHEN ${jw('l.ln', 'r.ln')} >= 0.9 THEN 2
      ELSE 3 END`,
  },
  {
    name: 'email',
    columns: ['email', 'email_local'],
    levels: ['exact', 'same_local', 'close', 'different'],
    fields: ['email'],
    sql: `CASE WHEN l.email IS NULL OR r.email IS NULL THEN NULL
      WHEN l.email = r.email THEN 0
      WHEN l.email_local = r.email_local THEN 1
      WHEN ${withinEdits('l.email_local', 'r.email_local', 2)} THEN 2
      ELSE 3 END`,
  },
  {
    name: 'phone',
    columns: ['phone'],
    // With the street compared too, a shared landline at the same address is the home again
    // (relatives share both): counted once, by the street.
    skipWhen: { comparison: 'street', levels: [0, 1] },
    levels: ['exact', 'close', 'different'],
    fields: ['phone'],
    sql: `CASE WHEN l.phone IS NULL OR r.phone IS NULL THEN NULL
      WHEN l.phone = r.phone THEN 0
      WHEN ${withinOneEditFixedLength('l.phone', 'r.phone')} THEN 1
      ELSE 2 END`,
  },
  {
    name: 'dob',
    columns: ['dob'],
    levels: ['exact', 'swapped', 'close', 'different'],
    fields: ['dob'],
    sql: `CASE WHEN l.dob IS NULL OR r.dob IS NULL THEN NULL
      WHEN l.dob = r.dob THEN 0
      WHEN year(l.dob) = year(r.dob) AND month(l.dob) = day(r.dob) AND day(l.dob) = month(r.dob) THEN 1
      WHEN (month(l.dob) = month(r.dob) AND day(l.dob) = day(r.dob) AND abs(year(l.dob) - year(r.dob)) <= 1)
        OR levenshtein(CAST(l.dob AS VARCHAR), CAST(r.dob AS VARCHAR)) <= 1 THEN 2
      ELSE 3 END`,
  },
  {
    name: 'address',
    columns: ['addr', 'zip5', 'street'],
    levels: ['exact', 'street', 'close', 'same_zip', 'different'],
    fields: ['address_line'],
    sql: `CASE WHEN l.addr IS NULL OR r.addr IS NULL THEN NULL
      WHEN l.addr = r.addr AND l.zip5 IS NOT DISTINCT FROM r.zip5 THEN 0
      WHEN l.street = r.street THEN 1
      WHEN ${jw('l.addr', 'r.addr')} >= 0.9 THEN 2
      WHEN l.zip5 = r.zip5 THEN 3
      ELSE 4 END`,
  },
];

/**
 * Comparisons for data the generator did not make: typo tiers (one edit, then Jaro-Winkler
 * bands) on names, dates as written (a typo, a day/month swap), the house number and street
 * apart, and city, state and postcode as comparisons of their own.
 */
export const FIELD_COMPARISONS: Comparison[] = [
  {
    name: 'given_name',
    columns: ['fn', 'fn_canon', 'ln', 'tf_fn'],
    levels: ['exact', 'nickname', 'swapped', 'typo', 'close', 'different'],
    fields: ['first_name'],
    tf: 'tf_fn',
    sql: `CASE WHEN l.fn IS NULL OR r.fn IS NULL THEN NULL
      WHEN l.fn = r.fn THEN 0
      WHEN l.fn_canon = r.fn_canon THEN 1
      WHEN ${swapped} THEN 2
      ${nameTiers('l.fn', 'r.fn', 3)}`,
  },
  {
    name: 'surname',
    columns: ['ln', 'fn', 'tf_ln'],
    levels: ['exact', 'swapped', 'typo', 'close', 'different'],
    fields: ['last_name'],
    tf: 'tf_ln',
    sql: `CASE WHEN l.ln IS NULL OR r.ln IS NULL THEN NULL
      WHEN l.ln = r.ln THEN 0
      WHEN ${swapped} THEN 1
      ${nameTiers('l.ln', 'r.ln', 2)}`,
  },
  {
    name: 'birth_date',
    columns: ['dob_s'],
    levels: ['exact', 'typo', 'swapped', 'close', 'different'],
    fields: ['dob'],
    // On the date as written (YYYYMMDD, always 8 digits), so an impossible date from a typo
    // still compares. typo: one digit changed, or two neighbours swapped (Hamming distance 2
    // with a Jaro similarity only a transposition reaches: DuckDB's damerau_levenshtein is 9x
    // slower than these two together).
    sql: `CASE WHEN l.dob_s IS NULL OR r.dob_s IS NULL THEN NULL
      WHEN l.dob_s = r.dob_s THEN 0
      WHEN hamming(l.dob_s, r.dob_s) <= 1
        OR (hamming(l.dob_s, r.dob_s) = 2 AND jaro_similarity(l.dob_s, r.dob_s) >= 0.95) THEN 1
      WHEN left(l.dob_s, 4) = left(r.dob_s, 4) AND substr(l.dob_s, 5, 2) = substr(r.dob_s, 7, 2)
        AND substr(l.dob_s, 7, 2) = substr(r.dob_s, 5, 2) THEN 2
      WHEN hamming(l.dob_s, r.dob_s) <= 2 THEN 3
      ELSE 4 END`,
  },
  {
    name: 'street',
    // st: not read here, kept in shard files for a scorer of an earlier release (rolling deploy).
    columns: ['addr', 'hn', 'st_ns', 'st'],
    levels: ['exact', 'typo', 'same_street', 'close', 'different'],
    fields: ['address_line'],
    // typo: the same house number (or none on either side) and a street name a typo or a missed
    // space away (st_ns: the name without its spaces); same_street: the street without the number
    // agreeing (another house, or a typo in the number). The street's similarity is computed
    // once, then the number decides.
    sql: `CASE WHEN l.addr IS NULL OR r.addr IS NULL THEN NULL
      WHEN l.addr = r.addr THEN 0
      WHEN ${jw('l.st_ns', 'r.st_ns')} >= 0.9 THEN CASE WHEN l.hn IS NOT DISTINCT FROM r.hn THEN 1 ELSE 2 END
      WHEN ${jw('l.addr', 'r.addr')} >= 0.8 THEN 3
      ELSE 4 END`,
  },
  {
    name: 'postcode_dl',
    columns: ['pc', 'tf_pc'],
    levels: ['exact', 'typo', 'prefix', 'different'],
    fields: ['zip'],
    tf: 'tf_pc',
    // Not scored when the street agrees exactly (the same home: the postcode agrees too); scored
    // beside a different street, since typos in several fields at once leave a true pair's
    // street different while its postcode agrees (FEBRL 3: +0.005 cluster F1 against skipping).
    skipWhen: { comparison: 'street', levels: [0] },
    sql: postcodeSql({ swaps: true }),
  },
  {
    name: 'city',
    columns: ['city_n', 'tf_city', 'pc'],
    levels: ['exact', 'close', 'different'],
    fields: ['city'],
    tf: 'tf_city',
    // A postcode names its city and state: where the postcodes agree, the city and the state
    // add nothing (counting them too would count one fact three times, against the
    // independence Fellegi-Sunter assumes). Where they differ or are missing (a typo, a move),
    // the city counts, and the state where the cities differ too. Scoring every field at all
    // times, as Splink does, costs 0.05-0.24 cluster F1 on worlds with relatives at one address.
    sql: citySql({ unlessSamePostcode: true }),
  },
  {
    name: 'state',
    columns: ['state_n', 'pc', 'city_n'],
    levels: ['exact', 'different'],
    fields: ['state'],
    // Scored only where neither the postcodes nor the cities agree exactly (see city).
    sql: stateSql({ unlessSamePostcodeOrCity: true }),
  },
];

/**
 * Postcode, city and state each scored whatever the others say (as Splink does): for data without
 * households, where a shared location is a duplicate's and every agreeing field is evidence. On
 * FEBRL 4 cluster F1 0.9951 -> 0.9987, on FEBRL 3 0.9970 -> 0.9989; on the generated worlds, where
 * relatives share an address, 0.9973 -> 0.9404 and 0.9812 -> 0.9108 (BENCHMARKS.md). `models
 * train` picks them only where it finds no households (lib/identity/households.ts).
 */
export const EACH_LOCATION_COMPARISONS: Comparison[] = [
  // The postcode's levels, scored beside an identical street too.
  {
    ...FIELD_COMPARISONS.find((c) => c.name === 'postcode_dl')!,
    name: 'postcode_dl_each',
    skipWhen: undefined,
  },
  {
    name: 'city_each',
    columns: ['city_n', 'tf_city'],
    levels: ['exact', 'close', 'different'],
    fields: ['city'],
    tf: 'tf_city',
    sql: citySql({ unlessSamePostcode: false }),
  },
  {
    name: 'state_each',
    columns: ['state_n'],
    levels: ['exact', 'different'],
    fields: ['state'],
    sql: stateSql({ unlessSamePostcodeOrCity: false }),
  },
];

/**
 * Comparisons replaced by a better one and kept for the models that use them: `postcode` (and
 * `postcode_each`) count a swap of two digits as `different` (shipped v3 to v5; `postcode_dl`
 * since).
 */
const SUPERSEDED_COMPARISONS: Comparison[] = [
  {
    ...FIELD_COMPARISONS.find((c) => c.name === 'postcode_dl')!,
    name: 'postcode',
    sql: postcodeSql({ swaps: false }),
  },
  {
    ...EACH_LOCATION_COMPARISONS.find((c) => c.name === 'postcode_dl_each')!,
    name: 'postcode_each',
    sql: postcodeSql({ swaps: false }),
  },
];

/** The comparisons of the legacy models (v1, v2), in their order. */
export const COMPARISONS = LEGACY_COMPARISONS;

/** Every comparison by name. */
export const COMPARISON_LIBRARY: ReadonlyMap<string, Comparison> = new Map(
  [...LEGACY_COMPARISONS, ...FIELD_COMPARISONS, ...EACH_LOCATION_COMPARISONS, ...SUPERSEDED_COMPARISONS].map(
    (c) => [c.name, c],
  ),
);

/**
 * How a trained model scores postcode, city and state: `once` counts one location fact once (the
 * default, for data with households), `each` scores every field (EACH_LOCATION_COMPARISONS).
 */
export const LOCATION_SCHEMES = ['once', 'each'] as const;
export type LocationScheme = (typeof LOCATION_SCHEMES)[number];

/** The comparisons a model trained from scratch uses: the field comparisons plus email and phone. */
export function trainableComparisons(location: LocationScheme): Comparison[] {
  const fields =
    location === 'each' ? FIELD_COMPARISONS.map((c) => EACH_IN_PLACE_OF.get(c.name) ?? c) : FIELD_COMPARISONS;
  return [...fields, COMPARISON_LIBRARY.get('email')!, COMPARISON_LIBRARY.get('phone')!];
}

/** Each `_each` comparison by the field comparison it takes the place of (postcode -> postcode_each). */
const EACH_IN_PLACE_OF: ReadonlyMap<string, Comparison> = new Map(
  EACH_LOCATION_COMPARISONS.map((c) => [c.name.replace(/_each$/, ''), c]),
);

export function comparisonByName(name: string): Comparison | undefined {
  return COMPARISON_LIBRARY.get(name);
}

/** The comparisons whose fields are all present. */
export function usableComparisons(list: readonly Comparison[], present: readonly FieldName[]): Comparison[] {
  return list.filter((c) => c.fields.every((f) => present.includes(f)));
}

/**
 * Prep columns derived from other prep columns for a comparison's sake, by the SQL that makes
 * them: prepareRecords adds them, and a scorer meeting a shard file written without one (by a
 * worker of an earlier release, during a rolling deploy) derives it itself. Computed once per
 * record rather than once per pair: the street's two replace() calls were ~15% of its cost.
 */
export const DERIVED_COLUMNS: Readonly<Record<string, string>> = { st_ns: "replace(st, ' ', '')" };

/**
 * Prep columns that every comparison reads only to test for equality or NULL: a shard file keeps
 * their 64-bit hash instead of the text, which the join back of the scoring query gathers at a
 * fraction of the cost of a string (v5 at 1M records: a few % of its scoring query). The same SQL
 * reads either form. A comparison that needs the text of one must take it off this list: the
 * comparison-rules test checks every comparison's levels on both forms. A hash collision would
 * make two different values equal, at odds of ~1 in 10^13 for a million pairs (blocking keys
 * rest on the same hash).
 */
export const EQUALITY_ONLY_COLUMNS: ReadonlySet<string> = new Set([
  'fn_canon',
  'email',
  'hn',
  'state_n',
  'street',
  'zip5',
]);

/** A prep column in a shard file's SELECT list: hashed when only ever compared for equality. */
export function shardColumnSql(column: string): string {
  return EQUALITY_ONLY_COLUMNS.has(column)
    ? `CASE WHEN ${column} IS NULL THEN NULL ELSE hash(${column}) END AS ${column}`
    : column;
}

/** Column name of a comparison's level in pair tables. */
export function levelColumn(c: Comparison): string {
  return `c_${c.name}`;
}

/** Column name of a comparison's term frequency (of the value the exact level agrees on). */
export function tfColumn(c: Comparison): string {
  return `t_${c.name}`;
}

/** SELECT list computing every comparison level as TINYINT columns c_<name> (and t_<name>). */
export function comparisonColumnsSql(list: readonly Comparison[] = COMPARISONS): string {
  const before = (c: Comparison, name: string) => list.findIndex((x) => x.name === name) < list.indexOf(c);
  return list
    .flatMap((c) => [
      c.skipWhen && list.some((x) => x.name === c.skipWhen!.comparison) && before(c, c.skipWhen.comparison)
        ? `(CASE WHEN c_${c.skipWhen.comparison} IN (${c.skipWhen.levels.join(', ')}) THEN NULL ELSE ${c.sql} END)::TINYINT AS ${levelColumn(c)}`
        : `(${c.sql})::TINYINT AS ${levelColumn(c)}`,
      // Only the exact level is adjusted, where both records have the value and so its
      // frequency: l's alone is the pair's (reading r's too cost ~13% of v5's scoring query at 1M).
      ...(c.tf ? [`l.${c.tf} AS ${tfColumn(c)}`] : []),
    ])
    .join(',\n  ');
}

/** The prep columns a list of comparisons reads. */
export function comparisonColumns(list: readonly Comparison[]): string[] {
  return [...new Set(list.flatMap((c) => c.columns))];
}

/** The union of several lists, each comparison once, in first-seen order. */
export function unionComparisons(...lists: (readonly Comparison[])[]): Comparison[] {
  const seen = new Map<string, Comparison>();
  for (const list of lists) for (const c of list) if (!seen.has(c.name)) seen.set(c.name, c);
  return [...seen.values()];
}
