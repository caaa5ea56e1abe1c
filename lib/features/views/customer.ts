// The `customer` view: one row per resolved identity (model-scoring's clusters; without clusters
// each record is its own customer), keyed by customer_id = identity_id.
import type { FeatureView } from '../types.js';

export const customerView: FeatureView = {
  name: 'customer',
  key: 'customer_id',
  description:
    'One row per resolved customer: records, sources, email domains, addresses, first/last seen, recency',
  ttlSeconds: 7 * 24 * 3600,
  followsAliases: true,
  fields: [
    { name: 'record_count', type: 'int', description: 'customer records resolved to this customer' },
    { name: 'sources', type: 'text[]', description: 'distinct source systems, sorted' },
    { name: 'email_domains', type: 'text[]', description: 'distinct lower-case email domains, sorted' },
    { name: 'address_count', type: 'int', description: 'distinct standardized addresses' },
    {
      name: 'latest_address_id',
      type: 'text',
      description: 'address_id of the most recently updated record',
    },
    { name: 'first_seen', type: 'timestamp', description: 'earliest updated_at (second precision)' },
    { name: 'last_seen', type: 'timestamp', description: 'latest updated_at (second precision)' },
    { name: 'recency_days', type: 'int', description: 'whole days from last_seen to the as-of time' },
  ],
  sql: ({ records, clusters, asOf }) => `
    WITH r AS (
      SELECT r.record_id,
             ${clusters ? 'coalesce(c.identity_id, r.record_id)' : 'r.record_id'} AS customer_id,
             nullif(trim(r.source), '') AS source,
             nullif(regexp_extract(lower(trim(r.email)), '@([a-z0-9.-]+\\.[a-z]{2,})$', 1), '') AS email_domain,
             std_address_id(std_addr_line(r.address_line), std_addr_city(r.city),
                            std_addr_state(r.state), std_addr_zip5(r.zip)) AS address_id,
             date_trunc('second', r.updated_at) AS updated_at
      FROM ${records} r
      ${clusters ? `LEFT JOIN ${clusters} c ON c.record_id = r.record_id` : ''}
    )
    SELECT customer_id,
           count(*) AS record_count,
           list_sort(list_distinct(list(source) FILTER (WHERE source IS NOT NULL))) AS sources,
           list_sort(list_distinct(list(email_domain) FILTER (WHERE email_domain IS NOT NULL))) AS email_domains,
           count(DISTINCT address_id) AS address_count,
           arg_max(address_id, (updated_at, record_id)) FILTER (WHERE address_id IS NOT NULL) AS latest_address_id,
           min(updated_at) AS first_seen,
           max(updated_at) AS last_seen,
           date_diff('day', max(updated_at), ${asOf}) AS recency_days
    FROM r
    GROUP BY customer_id`,
};
