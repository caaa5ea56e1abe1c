// The `address` view: one row per standardized address (USPS Pub 28 form), keyed by address_id.
import type { FeatureView } from '../types.js';

export const addressView: FeatureView = {
  name: 'address',
  key: 'address_id',
  description: 'One row per standardized address: the address, customers and records at it, first/last seen',
  ttlSeconds: 7 * 24 * 3600,
  fields: [
    {
      name: 'address_line',
      type: 'text',
      description: 'standardized line (Pub 28: suffixes, directionals, units)',
    },
    { name: 'city', type: 'text', description: 'upper-case city' },
    { name: 'state', type: 'text', description: 'two-letter state code where recognized' },
    { name: 'zip5', type: 'text', description: 'five-digit ZIP' },
    { name: 'customer_count', type: 'int', description: 'distinct customers with a record at this address' },
    { name: 'record_count', type: 'int', description: 'records at this address' },
    { name: 'first_seen', type: 'timestamp', description: 'earliest updated_at (second precision)' },
    { name: 'last_seen', type: 'timestamp', description: 'latest updated_at (second precision)' },
  ],
  sql: ({ records, clusters }) => `
    WITH s AS (
      SELECT r.record_id,
             ${clusters ? 'coalesce(c.identity_id, r.record_id)' : 'r.record_id'} AS customer_id,
             std_addr_line(r.address_line) AS address_line, std_addr_city(r.city) AS city,
             std_addr_state(r.state) AS state, std_addr_zip5(r.zip) AS zip5,
             date_trunc('second', r.updated_at) AS updated_at
      FROM ${records} r
      ${clusters ? `LEFT JOIN ${clusters} c ON c.record_id = r.record_id` : ''}
    ), a AS (
      SELECT *, std_address_id(address_line, city, state, zip5) AS address_id FROM s
    )
    SELECT address_id,
           any_value(address_line) AS address_line, any_value(city) AS city,
           any_value(state) AS state, any_value(zip5) AS zip5,
           count(DISTINCT customer_id) AS customer_count,
           count(*) AS record_count,
           min(updated_at) AS first_seen,
           max(updated_at) AS last_seen
    FROM a
    WHERE address_id IS NOT NULL
    GROUP BY address_id`,
};
