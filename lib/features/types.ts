// A feature view: SQL that computes one row per entity, its key, the fields served online (in a
// fixed order: the order of the compact value encoding), a TTL and a description.

export type FieldType = 'int' | 'text' | 'timestamp' | 'text[]';

export interface FeatureField {
  name: string;
  type: FieldType;
  description: string;
}

export interface ViewSqlInput {
  /** A relation (table or view name) with the DESIGN 3.0 customer records. */
  records: string;
  /** A relation (record_id, identity_id), or undefined: each record is its own customer. */
  clusters?: string;
  /** SQL timestamp literal of the features' as-of time (recency is measured to it). */
  asOf: string;
}

export interface FeatureView {
  /** Lower-case name used in paths, Redis keys and the API (/v1/{id}/{name}). */
  name: string;
  /** The entity key column. */
  key: string;
  description: string;
  /** Online keys expire after this many seconds unless a newer sync rewrites them. */
  ttlSeconds: number;
  fields: FeatureField[];
  /**
   * The key is model-scoring's identity id: the sync also loads the alias table (merged-away ids
   * to their survivor) into each version, and the API answers a merged-away id with the
   * survivor's features. The first field must never encode to a value starting with
   * ALIAS_MARKER (lib/features/encoding.ts): an int does not.
   */
  followsAliases?: boolean;
  /** SELECT returning `key` + every field, one row per entity. The std_addr_* macros are installed. */
  sql(input: ViewSqlInput): string;
}

/** Entity ids the online store accepts: checked by the API before any Redis call. */
export const ENTITY_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
export const ENTITY_ID_SQL_PATTERN = '^[A-Za-z0-9_-]{1,128}$';
