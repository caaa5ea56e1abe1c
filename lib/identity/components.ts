// Identity clusters: connected components of the matched-pair graph in DuckDB SQL, by min-label
// propagation with hooking and pointer jumping (Shiloach-Vishkin style). Every node ends with the
// smallest record_id of its component as its label. That label only groups the records: the ids
// published as identity_id persist from day to day and come from ./identity-ids.ts.
import type { DuckDBConnection } from '@duckdb/node-api';

export interface ComponentsOptions {
  /** SQL yielding every record: (record_id). */
  nodes: string;
  /** SQL yielding matched pairs: (left_id, right_id). */
  edges: string;
  /** Table to create: (record_id, identity_id = the component's smallest record_id), one row per node. */
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
  // cc_l: a parent pointer per node, always a node of the same component with an id <= its own.
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE cc_l AS SELECT a AS id, least(a, min(b)) AS lbl FROM cc_e GROUP BY a`,
  );
  let iterations = 0;
  const scalar = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRows()[0]![0]);
  for (;;) {
    iterations++;
    if (iterations > (opts.maxIterations ?? 200)) throw new Error('connected components did not converge');
    // Hook: across every edge, the parent of the side with the larger parent takes the smaller
    // parent (this is what makes long chains collapse in a logarithmic number of rounds), and
    // every node takes its neighbours' smallest parent.
    await conn.run(`CREATE OR REPLACE TEMP TABLE cc_n AS
      WITH ends AS (
        SELECT pa.lbl AS la, pb.lbl AS lb, e.a FROM cc_e e JOIN cc_l pa ON pa.id = e.a JOIN cc_l pb ON pb.id = e.b),
      hook AS (SELECT lb AS id, min(la) AS lbl FROM ends WHERE la < lb GROUP BY lb),
      nb AS (SELECT a AS id, min(lb) AS lbl FROM ends GROUP BY a)
      SELECT l.id, least(l.lbl, coalesce(hook.lbl, l.lbl), coalesce(nb.lbl, l.lbl)) AS lbl
      FROM cc_l l LEFT JOIN hook ON hook.id = l.id LEFT JOIN nb ON nb.id = l.id`);
    // Shortcut: point every node at its parent's parent until the trees are flat.
    for (;;) {
      await conn.run(`CREATE OR REPLACE TEMP TABLE cc_j AS
        SELECT n.id, coalesce(p.lbl, n.lbl) AS lbl FROM cc_n n LEFT JOIN cc_n p ON p.id = n.lbl`);
      const moved = await scalar(`SELECT count(*) FROM cc_j JOIN cc_n USING (id) WHERE cc_j.lbl <> cc_n.lbl`);
      await conn.run(`CREATE OR REPLACE TEMP TABLE cc_n AS SELECT * FROM cc_j`);
      if (moved === 0) break;
    }
    const changed = await scalar(`SELECT count(*) FROM cc_n JOIN cc_l USING (id) WHERE cc_n.lbl <> cc_l.lbl`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE cc_l AS SELECT * FROM cc_n`);
    if (changed === 0) break;
  }
  await conn.run(`CREATE OR REPLACE TABLE ${opts.out} AS
    SELECT n.record_id, coalesce(l.lbl, n.record_id) AS identity_id
    FROM (${opts.nodes}) n LEFT JOIN cc_l l ON l.id = n.record_id`);
  for (const t of ['cc_e', 'cc_l', 'cc_n', 'cc_j']) await conn.run(`DROP TABLE IF EXISTS ${t}`);
  return { iterations };
}
