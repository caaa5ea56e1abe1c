// Stable buckets for sharding in SQL, so every task of a run agrees on them.
//
// 'md5-u64' takes the top 64 bits of md5 as a UBIGINT before the modulo; 'md5-u128' (the first
// form, kept for runs planned with it) takes the modulo of md5_number's UHUGEINT directly, which
// costs ~4 us a row against ~0.1 us (5 M rows: 20 s against 0.5 s on one thread). md5 is stable
// across DuckDB versions and processes and is what Node computes too (the feature store's keys).
//
// 'duckdb-v1' is DuckDB's own hash() of the text with a salt: ~4x cheaper than md5 (42 M keys:
// 1.3-1.5 s against 5.5-8 s on 2 threads), used by the shuffle maps, whose buckets only DuckDB
// computes.
// hash() carries no stability promise across DuckDB releases, so its values are pinned here
// (DUCKDB_V1_PROBES): a shuffle plans with it only when its DuckDB reproduces them, and every map
// task checks them before it writes a row (activities/common/shuffle.ts), so a worker on a DuckDB
// that hashes differently can never mix its buckets into a run. The salt keeps the buckets
// independent of the hash DuckDB's joins and aggregations use on the same keys (unsalted, a bucket
// would hold only keys with the same low bits, the ones those hash tables index by).
//
// All spread evenly; they assign different buckets, so a run records which one it planned with
// and all of its tasks use that one.

export const BUCKET_HASHES = ['md5-u64', 'md5-u128', 'duckdb-v1'] as const;
export type BucketHash = (typeof BUCKET_HASHES)[number];

/** What new plans use (feature-store buckets, session-ranking shards: md5, which Node shares). */
export const CURRENT_BUCKET_HASH: BucketHash = 'md5-u64';

/** What new shuffle plans use, when this DuckDB reproduces DUCKDB_V1_PROBES. */
export const SHUFFLE_BUCKET_HASH: BucketHash = 'duckdb-v1';

const DUCKDB_V1_SALT = '~';

/** Texts and their duckdb-v1 hash (DuckDB 1.5.6): short, inlined and long strings hash apart. */
export const DUCKDB_V1_PROBES: readonly (readonly [string, bigint])[] = [
  ['', 9244850602923017617n],
  ['v000000001', 1140294902305259661n],
  ['a key longer than twelve bytes', 3104757353593818600n],
];

/** One row, column `ok`: whether this DuckDB computes `hash` as it was pinned (md5: always). */
export function bucketHashCheckSql(hash: BucketHash, pinned = DUCKDB_V1_PROBES): string {
  if (hash !== 'duckdb-v1') return 'SELECT true AS ok';
  const probes = pinned.map(([text, h]) => `('${text}', ${h}::UBIGINT)`).join(', ');
  return `SELECT bool_and(hash(t || '${DUCKDB_V1_SALT}') = h) AS ok FROM (VALUES ${probes}) p(t, h)`;
}

/** The hash of a run's plan; plans made before the hash was recorded used md5-u128. */
export function plannedBucketHash(recorded: BucketHash | undefined): BucketHash {
  return recorded ?? 'md5-u128';
}

/** The bucket (0..buckets-1, INTEGER) of a VARCHAR SQL expression under `hash`. */
export function bucketSql(textExpr: string, buckets: number, hash: BucketHash): string {
  if (hash === 'duckdb-v1') return `(hash(${textExpr} || '${DUCKDB_V1_SALT}') % ${buckets})::INTEGER`;
  return hash === 'md5-u64'
    ? `((md5_number(${textExpr}) >> 64)::UBIGINT % ${buckets})::INTEGER`
    : `(md5_number(${textExpr}) % ${buckets})::INTEGER`;
}

/**
 * The bucket of a key column (any type, compared as text). A null key goes to the bucket of '',
 * so every row lands in exactly one bucket (and is counted there).
 */
export function keyBucketSql(column: string, buckets: number, hash: BucketHash): string {
  return buckets === 1 ? '0' : bucketSql(`coalesce(CAST(${column} AS VARCHAR), '')`, buckets, hash);
}
