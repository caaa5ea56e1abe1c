// The compact value encoding: DuckDB's encoder and the TS decoder round-trip every field type,
// nulls, empty lists and dates before 1970; legacy values (decimal timestamps) still decode; the
// pointer format round-trips; the value is far smaller than JSON.
import { DuckDBInstance } from '@duckdb/node-api';
import { expect, test } from 'vitest';
import { decodeValue, encodeValueSql } from '../../../lib/features/encoding.js';
import { formatPointer, parsePointer } from '../../../lib/features/keys.js';
import { FEATURE_VIEWS } from '../../../lib/features/views/index.js';

test('DuckDB encodes, TypeScript decodes: every type, nulls and empty lists', async () => {
  const view = FEATURE_VIEWS.customer!;
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const rows = (
    await conn.runAndReadAll(`
      WITH t AS (
        SELECT 3::BIGINT AS record_count, ['crm', 'web'] AS sources, ['a.example', 'b.example'] AS email_domains,
               2::BIGINT AS address_count, 'abc123' AS latest_address_id,
               TIMESTAMP '2024-01-02 03:04:05' AS first_seen, TIMESTAMP '2025-06-30 23:59:59' AS last_seen,
               0::BIGINT AS recency_days
        UNION ALL
        SELECT 1, [], NULL, 0, NULL, NULL, TIMESTAMP '1999-12-31 00:00:00', NULL
        UNION ALL
        SELECT 1, ['x'], ['y'], 1, 'z', TIMESTAMP '1969-07-20 20:17:40', TIMESTAMP '1970-01-01 00:00:00', -3)
      SELECT ${encodeValueSql(view)} AS v FROM t`)
  ).getRows();
  conn.closeSync();
  instance.closeSync();
  const [full, sparse, old] = rows.map((r) => String(r[0]));
  expect(decodeValue(view, full!)).toEqual({
    record_count: 3,
    sources: ['crm', 'web'],
    email_domains: ['a.example', 'b.example'],
    address_count: 2,
    latest_address_id: 'abc123',
    first_seen: '2024-01-02T03:04:05.000Z',
    last_seen: '2025-06-30T23:59:59.000Z',
    recency_days: 0,
  });
  expect(decodeValue(view, sparse!)).toEqual({
    record_count: 1,
    sources: [],
    email_domains: [],
    address_count: 0,
    latest_address_id: null,
    first_seen: null,
    last_seen: '1999-12-31T00:00:00.000Z',
    recency_days: null,
  });
  expect(decodeValue(view, old!)).toMatchObject({
    first_seen: '1969-07-20T20:17:40.000Z',
    last_seen: '1970-01-01T00:00:00.000Z',
    recency_days: -3,
  });
  expect(full!.length).toBeLessThan(JSON.stringify(decodeValue(view, full!)).length / 2);
  // Timestamps in base 36: 6 characters for today's dates.
  expect(full!.split('\x1f')[5]).toBe((Date.parse('2024-01-02T03:04:05Z') / 1000).toString(36).toUpperCase());
});

test('legacy values (decimal timestamps, written by earlier releases) decode with radix 10', () => {
  const view = FEATURE_VIEWS.customer!;
  const legacy = ['3', 'crm\x1eweb', '', '2', 'abc', '1704164645', '', '0'].join('\x1f');
  expect(decodeValue(view, legacy, 10)).toEqual({
    record_count: 3,
    sources: ['crm', 'web'],
    email_domains: [],
    address_count: 2,
    latest_address_id: 'abc',
    first_seen: '2024-01-02T03:04:05.000Z',
    last_seen: null,
    recency_days: 0,
  });
});

test('pointer format: bucketed, and legacy (no bucket count)', () => {
  const p = { version: 12, asOf: '2025-07-01T00:00:00.000Z', layers: [12, 9, 7], buckets: 4096 };
  expect(formatPointer(p)).toBe('12|2025-07-01T00:00:00.000Z|12,9,7|4096');
  expect(parsePointer(formatPointer(p))).toEqual(p);
  const legacy = { version: 12, asOf: '2025-07-01T00:00:00.000Z', layers: [12, 9, 7] };
  expect(formatPointer(legacy)).toBe('12|2025-07-01T00:00:00.000Z|12,9,7');
  expect(parsePointer('12|2025-07-01T00:00:00.000Z|12,9,7')).toEqual(legacy);
});
