// Identity clusters: connected components of the matched-pair graph by iterative min-label
// propagation with pointer jumping, in DuckDB SQL. Every node ends with the smallest record_id of
// its component as its label; that label is the identity_id (see README: it stays the same from
// day to day as long as the component's smallest record persists).
import type { DuckDBConnection } from '@duckdb/node-api';

export interface ComponentsOptions {
  /** SQL yielding every record: (record_id). */
  nodes: string;
  /** SQL yielding matched pairs: (left_id, right_id). */
  edges: string;
  /** Table to create: (record_id, identity_id), one row per node. */
  out: string;
  maxIterations?: number;
}

export async function connectedComponents(
  conn: DuckDBConnection,
  opts: ComponentsOptions,
): Promise<{ iterations: number }> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE cc_e AS
    SELECT left_id AS a, right_id AS b FROM (${opts.edges}) WHERE left_id <> right_id
    UNION ALL SELECT right_id, left_id FROM (${opts.edges}) WHERE left_id <> right_id`);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE cc_l AS SELECT a AS id, least(a, min(b)) AS lbl FROM cc_e GROUP BY a`,
  );
  let iterations = 0;
  for (;;) {
    iterations++;
    if (iterations > (opts.maxIterations ?? 1000)) throw new Error('connected components did not converge');
    // One step of propagation (each node takes its neighbours' smallest label), then one of
    // pointer jumping (a node takes its label's label), which halves long chains each round.
    await conn.run(`CREATE OR REPLACE TEMP TABLE cc_n AS
      SELECT e.a AS id, least(min(l.lbl), min(nb.lbl)) AS lbl
      FROM cc_e e JOIN cc_l l ON l.id = e.a JOIN cc_l nb ON nb.id = e.b GROUP BY e.a`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE cc_j AS
      SELECT n.id, least(n.lbl, coalesce(p.lbl, n.lbl)) AS lbl FROM cc_n n LEFT JOIN cc_n p ON p.id = n.lbl`);
    const changed = (
      await conn.runAndReadAll(
        `SELECT count(*) AS c FROM cc_j JOIN cc_l USING (id) WHERE cc_j.lbl <> cc_l.lbl`,
      )
    ).getRows()[0]![0];
    await conn.run(`CREATE OR REPLACE TEMP TABLE cc_l AS SELECT * FROM cc_j`);
    if (Number(changed) === 0) break;
  }
  await conn.run(`CREATE OR REPLACE TABLE ${opts.out} AS
    SELECT n.record_id, coalesce(l.lbl, n.record_id) AS identity_id
    FROM (${opts.nodes}) n LEFT JOIN cc_l l ON l.id = n.record_id`);
  for (const t of ['cc_e', 'cc_l', 'cc_n', 'cc_j']) await conn.run(`DROP TABLE IF EXISTS ${t}`);
  return { iterations };
}
