// Rows shaped like the customer view's offline Parquet, made in SQL (the record generator plus the
// view computation take minutes at 5 M entities on a shared machine): ids c000000000, c000000001, ...
// `variant` changes the features of every 1/`changeEvery` entity (an incremental sync's day 2).
import { sqlString, withDuckDB } from '../../lib/duckdb.js';

export function benchEntityId(i: number): string {
  return `c${String(i).padStart(9, '0')}`;
}

export async function writeCustomerEntities(
  file: string,
  entities: number,
  opts: { scratchDir: string; variant?: number; changeEvery?: number },
): Promise<void> {
  const changed = opts.variant ? `r % ${opts.changeEvery ?? 100} = 0` : 'false';
  await withDuckDB({ scratchDir: opts.scratchDir }, async (conn) => {
    await conn.run(`COPY (SELECT printf('c%09d', r) AS customer_id,
        (r % 5 + 1 + CASE WHEN ${changed} THEN ${opts.variant ?? 0} ELSE 0 END)::BIGINT AS record_count,
        (['crm', 'web', 'pos', 'support'])[1:(r % 3 + 1)::INTEGER] AS sources,
        (['gmail.com', 'yahoo.com', 'work-example.com'])[1:(r % 2 + 1)::INTEGER] AS email_domains,
        (r % 3 + 1)::BIGINT AS address_count, md5(r::VARCHAR)[1:24] AS latest_address_id,
        TIMESTAMP '2023-07-01' + INTERVAL (r * 37 % 31536000) SECOND AS first_seen,
        TIMESTAMP '2024-07-01' + INTERVAL (r * 53 % 31536000) SECOND AS last_seen,
        (r % 700)::BIGINT AS recency_days
      FROM range(${entities}) t(r)) TO ${sqlString(file)} (FORMAT parquet)`);
  });
}
