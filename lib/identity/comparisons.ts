// Comparison levels: each field of a candidate pair is put into one of a few ordered levels
// (strongest agreement first, `different` last; NULL when either side is missing) with DuckDB's
// string functions. Both model kinds score a pair from these levels, so a level's meaning is the
// same in every model version. Every comparison is symmetric (a pair's levels do not depend on
// which record is l): blocking pairs records in row-id order, not record_id order.
export interface Comparison {
  name: string;
  levels: readonly string[];
  /** SQL over aliases l and r (rows of the prep table) giving the 0-based level, or NULL. */
  sql: string;
}

const jw = (a: string, b: string) => `jaro_winkler_similarity(${a}, ${b})`;

export const COMPARISONS: Comparison[] = [
  {
    name: 'first_name',
    levels: ['exact', 'nickname', 'swapped', 'close', 'different'],
    sql: `CASE WHEN l.fn IS NULL OR r.fn IS NULL THEN NULL
      WHEN l.fn = r.fn THEN 0
      WHEN l.fn_canon = r.fn_canon THEN 1
      WHEN l.fn = r.ln OR l.ln = r.fn THEN 2
      WHEN ${jw('l.fn', 'r.fn')} >= 0.88 THEN 3
      ELSE 4 END`,
  },
  {
    name: 'last_name',
    levels: ['exact', 'swapped', 'close', 'different'],
    sql: `CASE WHEN l.ln IS NULL OR r.ln IS NULL THEN NULL
      WHEN l.ln = r.ln THEN 0
      WHEN l.ln = r.fn OR l.fn = r.ln THEN 1
      WHEN ${jw('l.ln', 'r.ln')} >= 0.9 THEN 2
      ELSE 3 END`,
  },
  {
    name: 'email',
    levels: ['exact', 'same_local', 'close', 'different'],
    sql: `CASE WHEN l.email IS NULL OR r.email IS NULL THEN NULL
      WHEN l.email = r.email THEN 0
      WHEN l.email_local = r.email_local THEN 1
      WHEN levenshtein(l.email_local, r.email_local) <= 2 THEN 2
      ELSE 3 END`,
  },
  {
    name: 'phone',
    levels: ['exact', 'close', 'different'],
    sql: `CASE WHEN l.phone IS NULL OR r.phone IS NULL THEN NULL
      WHEN l.phone = r.phone THEN 0
      WHEN levenshtein(l.phone, r.phone) <= 1 THEN 1
      ELSE 2 END`,
  },
  {
    name: 'dob',
    levels: ['exact', 'swapped', 'close', 'different'],
    sql: `CASE WHEN l.dob IS NULL OR r.dob IS NULL THEN NULL
      WHEN l.dob = r.dob THEN 0
      WHEN year(l.dob) = year(r.dob) AND month(l.dob) = day(r.dob) AND day(l.dob) = month(r.dob) THEN 1
      WHEN (month(l.dob) = month(r.dob) AND day(l.dob) = day(r.dob) AND abs(year(l.dob) - year(r.dob)) <= 1)
        OR levenshtein(CAST(l.dob AS VARCHAR), CAST(r.dob AS VARCHAR)) <= 1 THEN 2
      ELSE 3 END`,
  },
  {
    name: 'address',
    levels: ['exact', 'street', 'close', 'same_zip', 'different'],
    sql: `CASE WHEN l.addr IS NULL OR r.addr IS NULL THEN NULL
      WHEN l.addr = r.addr AND l.zip5 IS NOT DISTINCT FROM r.zip5 THEN 0
      WHEN l.street = r.street THEN 1
      WHEN ${jw('l.addr', 'r.addr')} >= 0.9 THEN 2
      WHEN l.zip5 = r.zip5 THEN 3
      ELSE 4 END`,
  },
];

/** Column name of a comparison's level in pair tables. */
export function levelColumn(c: Comparison): string {
  return `c_${c.name}`;
}

/** SELECT list computing every comparison level as TINYINT columns c_<name>. */
export function comparisonColumnsSql(): string {
  return COMPARISONS.map((c) => `(${c.sql})::TINYINT AS ${levelColumn(c)}`).join(',\n  ');
}
