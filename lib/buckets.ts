// Stable buckets for sharding in SQL: md5 of a value's text, modulo the bucket count. Stable
// across DuckDB versions and processes (unlike hash()), so every task of a run agrees on them.
//
// 'md5-u64' takes the top 64 bits of md5 as a UBIGINT before the modulo; 'md5-u128' (the first
// form, kept for runs planned with it) takes the modulo of md5_number's UHUGEINT directly, which
// costs ~4 us a row against ~0.1 us (5 M rows: 20 s against 0.5 s on one thread). Both spread
// evenly; they assign different buckets, so a run records which one it planned with and all of
// its tasks use that one.

export const BUCKET_HASHES = ['md5-u64', 'md5-u128'] as const;
export type BucketHash = (typeof BUCKET_HASHES)[number];

/** What new plans use. */
export const CURRENT_BUCKET_HASH: BucketHash = 'md5-u64';

/** The hash of a run's plan; plans made before the hash was recorded used md5-u128. */
export function plannedBucketHash(recorded: BucketHash | undefined): BucketHash {
  return recorded ?? 'md5-u128';
}

/** The bucket (0..buckets-1, INTEGER) of a VARCHAR SQL expression under `hash`. */
export function bucketSql(textExpr: string, buckets: number, hash: BucketHash): string {
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
