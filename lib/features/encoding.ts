// The compact online value: the view's fields in declaration order joined by US (0x1f); list
// items joined by RS (0x1e); null and the empty list as ''; ints in decimal; timestamps as epoch
// seconds in base 36 (6 characters for today's dates instead of 10: ~8 B of ~77 per customer).
// No field names, quotes or braces: a customer is ~60-80 bytes instead of ~230 as JSON.
// A tombstone (entity removed by an incremental sync) is the empty string.
//
// Versions written by earlier releases (the legacy key-per-entity layout, lib/features/keys.ts)
// hold timestamps in decimal: decodeValue takes which of the two a version uses.
import { sqlIdent } from '../duckdb.js';
import type { FeatureField, FeatureView } from './types.js';

export const FIELD_SEPARATOR = '\x1f';
export const ITEM_SEPARATOR = '\x1e';

/**
 * An alias entry of a version (a merged-away identity id): GS (0x1d) and the surviving id, in
 * place of the encoded features. ~2 ids of memory per alias.
 */
export const ALIAS_MARKER = '\x1d';

/** The surviving id an alias entry points at; undefined for an entity's features. */
export function aliasTarget(value: string): string | undefined {
  return value.startsWith(ALIAS_MARKER) ? value.slice(ALIAS_MARKER.length) : undefined;
}

export type FeatureValue = number | string | string[] | null;
export type Features = Record<string, FeatureValue>;

/** Radix of timestamps in a value: 36 in bucketed versions, 10 in legacy ones. */
export type TimestampRadix = 10 | 36;
export const TIMESTAMP_RADIX: TimestampRadix = 36;

function fieldSql(f: FeatureField): string {
  const col = sqlIdent(f.name);
  switch (f.type) {
    case 'int':
      return `coalesce(CAST(${col} AS VARCHAR), '')`;
    case 'text':
      return `coalesce(${col}, '')`;
    case 'timestamp': {
      // to_base refuses negative numbers (dates before 1970): sign first.
      const s = `epoch(${col})::BIGINT`;
      return `coalesce(CASE WHEN ${s} < 0 THEN '-' || to_base(-${s}, 36) ELSE to_base(${s}, 36) END, '')`;
    }
    case 'text[]':
      return `coalesce(array_to_string(${col}, chr(30)), '')`;
  }
}

/** SQL expression (over a view row) producing the encoded value. */
export function encodeValueSql(view: FeatureView): string {
  return view.fields.map(fieldSql).join(' || chr(31) || ');
}

/** Identifies the field layout; an incremental sync over a different layout is turned into a full one. */
export function fieldsSignature(view: FeatureView): string {
  return view.fields.map((f) => `${f.name}:${f.type}`).join(',');
}

export function decodeValue(
  view: FeatureView,
  value: string,
  timestampRadix: TimestampRadix = TIMESTAMP_RADIX,
): Features {
  const parts = value.split(FIELD_SEPARATOR);
  const out: Features = {};
  const fields = view.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const raw = parts[i] ?? '';
    switch (f.type) {
      case 'int':
        out[f.name] = raw === '' ? null : Number(raw);
        break;
      case 'text':
        out[f.name] = raw === '' ? null : raw;
        break;
      case 'timestamp':
        out[f.name] = raw === '' ? null : new Date(parseInt(raw, timestampRadix) * 1000).toISOString();
        break;
      case 'text[]':
        out[f.name] = raw === '' ? [] : raw.split(ITEM_SEPARATOR);
        break;
    }
  }
  return out;
}
