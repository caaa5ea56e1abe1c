// Identity clusters from scored pairs, by the model's linkage: `components` (connected components
// of the matched pairs) or `average` (those components, each split by average linkage over every
// scored pair inside it: ./average-linkage.ts). The pipeline's link step, `models evaluate` and
// the churn measure all link through here, so what is measured is what a run publishes.
import type { DuckDBConnection } from '@duckdb/node-api';
import { averageLinkage, matchWeight, type ScoredPair } from './average-linkage.js';
import { connectedComponents } from './components.js';
import type { Linkage } from './model.js';

export interface LinkOptions {
  /** SQL yielding every record: (record_id). */
  nodes: string;
  /**
   * SQL yielding scored pairs (left_id, right_id, score): at least the matched ones (score >=
   * threshold); for average linkage also the others blocking scored, which weigh against merges.
   */
  pairs: string;
  threshold: number;
  linkage: Linkage;
  /** Table to create: (record_id, identity_id = the cluster's smallest record_id), one row per node. */
  out: string;
  /** Pairs handed to average linkage at a time (whole components; bounds the memory). */
  batchPairs?: number;
}

export async function linkRecords(
  conn: DuckDBConnection,
  opts: LinkOptions,
): Promise<{ iterations: number; splitComponents: number }> {
  const components = opts.linkage === 'components' ? opts.out : 'lk_components';
  // The pairs' SQL (a score over every candidate, or Parquet reads) is evaluated once: connected
  // components read their edges twice, and average linkage reads the pairs again. Components
  // need only the matched ones.
  await conn.run(`CREATE OR REPLACE TEMP TABLE lk_scored AS
    SELECT left_id, right_id, score FROM (${opts.pairs})
    ${opts.linkage === 'components' ? `WHERE score >= ${opts.threshold}` : ''}`);
  const { iterations } = await connectedComponents(conn, {
    nodes: opts.nodes,
    edges: `SELECT left_id, right_id FROM lk_scored WHERE score >= ${opts.threshold}`,
    out: components,
  });
  if (opts.linkage === 'components') {
    await conn.run('DROP TABLE lk_scored');
    return { iterations, splitComponents: 0 };
  }

  // Only a component of three or more records can split: two records are one matched pair.
  await conn.run(`CREATE OR REPLACE TEMP TABLE lk_pairs AS
    WITH big AS (SELECT identity_id FROM ${components} GROUP BY 1 HAVING count(*) >= 3)
    SELECT a.identity_id AS component, p.left_id, p.right_id, p.score
    FROM lk_scored p
    JOIN ${components} a ON a.record_id = p.left_id
    JOIN ${components} b ON b.record_id = p.right_id
    WHERE a.identity_id = b.identity_id AND a.identity_id IN (SELECT identity_id FROM big)`);
  const total = Number((await conn.runAndReadAll('SELECT count(*) FROM lk_pairs')).getRows()[0]![0]);
  const batches = Math.max(1, Math.ceil(total / (opts.batchPairs ?? 2_000_000)));
  await conn.run('CREATE OR REPLACE TABLE lk_split (record_id VARCHAR, identity_id VARCHAR)');
  const appender = await conn.createAppender('lk_split');
  const minWeight = matchWeight(opts.threshold);
  let splitComponents = 0;
  for (let batch = 0; batch < batches; batch++) {
    const rows = (
      await conn.runAndReadAll(
        `SELECT component, left_id, right_id, score FROM lk_pairs
         WHERE hash(component) % ${batches} = ${batch} ORDER BY component`,
      )
    ).getRows();
    for (let start = 0; start < rows.length;) {
      let end = start;
      const component = rows[start]![0];
      const pairs: ScoredPair[] = [];
      for (; end < rows.length && rows[end]![0] === component; end++) {
        const [, left, right, score] = rows[end]!;
        pairs.push({ left: String(left), right: String(right), weight: matchWeight(Number(score)) });
      }
      const labels = averageLinkage(pairs, minWeight);
      if (new Set(labels.values()).size > 1) splitComponents++;
      for (const [record, label] of labels) {
        appender.appendVarchar(record);
        appender.appendVarchar(label);
        appender.endRow();
      }
      start = end;
    }
  }
  appender.closeSync();
  await conn.run(`CREATE OR REPLACE TABLE ${opts.out} AS
    SELECT c.record_id, coalesce(s.identity_id, c.identity_id) AS identity_id
    FROM ${components} c LEFT JOIN lk_split s USING (record_id)`);
  for (const t of ['lk_scored', 'lk_pairs', 'lk_split', components])
    await conn.run(`DROP TABLE IF EXISTS ${t}`);
  return { iterations, splitComponents };
}
