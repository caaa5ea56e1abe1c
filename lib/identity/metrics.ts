// Evaluation against ground-truth labels (record_id, person_id): pairwise precision / recall / F1
// of the scored pairs, blocking recall, and cluster-level figures of the identities. Records
// without a label count as people of their own.
import type { DuckDBConnection } from '@duckdb/node-api';

export interface PairwiseMetrics {
  truePairs: number;
  candidates: number;
  trueCandidates: number;
  blockingRecall: number;
  predicted: number;
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ClusterMetrics {
  records: number;
  clusters: number;
  singletons: number;
  persons: number;
  /** Share of true persons whose records form exactly one cluster, nothing else in it. */
  exactClusterRate: number;
  /** Pairwise figures of the clusters' transitive closure. */
  precision: number;
  recall: number;
  f1: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

async function row(conn: DuckDBConnection, sql: string): Promise<Record<string, number>> {
  const r = (await conn.runAndReadAll(sql)).getRowObjects()[0]!;
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v ?? 0)]));
}

/** Who is who for `records` (SQL with record_id), from the labels table. */
function truthSql(records: string, labels: string): string {
  return `SELECT r.record_id, coalesce(l.person_id, 'unlabelled:' || r.record_id) AS person_id
    FROM (${records}) r LEFT JOIN ${labels} l ON l.record_id = r.record_id`;
}

/**
 * `scored`: SQL of all candidate pairs with (left_id, right_id) and the score expression
 * `score`; `records`: SQL of every input record_id; `labels`: a table (record_id, person_id).
 */
export async function pairwiseMetrics(
  conn: DuckDBConnection,
  opts: { scored: string; score: string; threshold: number; records: string; labels: string },
): Promise<PairwiseMetrics> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE pm_truth AS ${truthSql(opts.records, opts.labels)}`);
  const r = await row(
    conn,
    `WITH t AS (SELECT sum(k * (k - 1) // 2) AS n FROM (SELECT count(*) AS k FROM pm_truth GROUP BY person_id)),
     c AS (
       SELECT (a.person_id = b.person_id) AS is_match, (${opts.score}) >= ${opts.threshold} AS predicted
       FROM (${opts.scored}) s JOIN pm_truth a ON a.record_id = s.left_id JOIN pm_truth b ON b.record_id = s.right_id)
     SELECT (SELECT n FROM t) AS true_pairs, count(*) AS candidates,
       count(*) FILTER (WHERE is_match) AS true_candidates,
       count(*) FILTER (WHERE predicted) AS predicted,
       count(*) FILTER (WHERE predicted AND is_match) AS tp
     FROM c`,
  );
  await conn.run('DROP TABLE pm_truth');
  const precision = ratio(r.tp!, r.predicted!);
  const recall = ratio(r.tp!, r.true_pairs!);
  return {
    truePairs: r.true_pairs!,
    candidates: r.candidates!,
    trueCandidates: r.true_candidates!,
    blockingRecall: ratio(r.true_candidates!, r.true_pairs!),
    predicted: r.predicted!,
    truePositives: r.tp!,
    precision,
    recall,
    f1: f1(precision, recall),
  };
}

/** `clusters`: SQL (record_id, identity_id) covering every record; `labels` as above. */
export async function clusterMetrics(
  conn: DuckDBConnection,
  opts: { clusters: string; labels: string },
): Promise<ClusterMetrics> {
  // Materialized step by step: one big CTE referenced many times made DuckDB plan badly.
  await conn.run(`CREATE OR REPLACE TEMP TABLE cm_j AS
    SELECT c.identity_id, t.person_id
    FROM (${opts.clusters}) c JOIN (${truthSql(`SELECT record_id FROM (${opts.clusters})`, opts.labels)}) t USING (record_id)`);
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE cm_cp AS SELECT identity_id, person_id, count(*) AS n FROM cm_j GROUP BY ALL`,
  );
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE cm_cs AS SELECT identity_id, count(*) AS n FROM cm_j GROUP BY 1`,
  );
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE cm_ps AS SELECT person_id, count(*) AS n FROM cm_j GROUP BY 1`,
  );
  const r = await row(
    conn,
    `SELECT (SELECT count(*) FROM cm_j) AS records,
       (SELECT count(*) FROM cm_cs) AS clusters,
       (SELECT count(*) FROM cm_cs WHERE n = 1) AS singletons,
       (SELECT count(*) FROM cm_ps) AS persons,
       (SELECT sum(n * (n - 1) // 2) FROM cm_cs) AS predicted_pairs,
       (SELECT sum(n * (n - 1) // 2) FROM cm_ps) AS true_pairs,
       (SELECT sum(n * (n - 1) // 2) FROM cm_cp) AS tp_pairs,
       (SELECT count(*) FROM cm_cp cp JOIN cm_cs cs ON cs.identity_id = cp.identity_id
          JOIN cm_ps ps ON ps.person_id = cp.person_id WHERE cp.n = cs.n AND cp.n = ps.n) AS exact`,
  );
  for (const t of ['cm_j', 'cm_cp', 'cm_cs', 'cm_ps']) await conn.run(`DROP TABLE ${t}`);
  const precision = r.predicted_pairs === 0 ? 1 : ratio(r.tp_pairs!, r.predicted_pairs!);
  const recall = r.true_pairs === 0 ? 1 : ratio(r.tp_pairs!, r.true_pairs!);
  return {
    records: r.records!,
    clusters: r.clusters!,
    singletons: r.singletons!,
    persons: r.persons!,
    exactClusterRate: ratio(r.exact!, r.persons!),
    precision,
    recall,
    f1: f1(precision, recall),
  };
}
