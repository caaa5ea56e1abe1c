// Identity resolution in one DuckDB session: the building blocks the sharded activities run
// piece by piece, composed end to end for `daybreak models train|evaluate`, tests and the
// benchmark's single-query baseline.
import type { DuckDBConnection } from '@duckdb/node-api';
import { shardPairsSql } from './blocking.js';
import { COMPARISONS, comparisonColumnsSql, levelColumn } from './comparisons.js';
import { connectedComponents } from './components.js';
import type { Pattern } from './fit.js';
import { clusterMetrics, pairwiseMetrics, type ClusterMetrics, type PairwiseMetrics } from './metrics.js';
import { scoreSql, type IdentityModel } from './model.js';
import { prepareRecords } from './prepare.js';

export const DEFAULT_MAX_BLOCK_SIZE = 1000;

/** Candidate pairs of one shard with their comparison levels, as a table. */
export async function buildCandidates(
  conn: DuckDBConnection,
  opts: { prep?: string; shard: number; shards: number; out: string },
): Promise<number> {
  await conn.run(
    `CREATE OR REPLACE TABLE ${opts.out} AS ${shardPairsSql({ table: opts.prep ?? 'prep', shard: opts.shard, shards: opts.shards, cols: comparisonColumnsSql() })}`,
  );
  return Number((await conn.runAndReadAll(`SELECT count(*) FROM ${opts.out}`)).getRows()[0]![0]);
}

/** Prepares records and builds all candidate pairs (one shard) into `cand`. */
export async function prepareAndBlock(
  conn: DuckDBConnection,
  files: string[],
  maxBlockSize = DEFAULT_MAX_BLOCK_SIZE,
): Promise<number> {
  await prepareRecords(conn, { files, shards: 1, maxBlockSize });
  return buildCandidates(conn, { shard: 0, shards: 1, out: 'cand' });
}

/** Candidate pairs grouped by comparison vector; with labels, the matches per group. */
export async function candidatePatterns(conn: DuckDBConnection, labels?: string): Promise<Pattern[]> {
  const cols = COMPARISONS.map(levelColumn);
  const match = labels ? `count(*) FILTER (WHERE a.person_id = b.person_id)` : 'NULL';
  const join = labels
    ? `LEFT JOIN ${labels} a ON a.record_id = c.left_id LEFT JOIN ${labels} b ON b.record_id = c.right_id`
    : '';
  const rows = (
    await conn.runAndReadAll(
      `SELECT ${cols.map((c) => `c.${c}`).join(', ')}, count(*) AS n, ${match} AS pos FROM cand c ${join} GROUP BY ALL ORDER BY ALL`,
    )
  ).getRows();
  return rows.map((r) => ({
    levels: r.slice(0, cols.length).map((x) => (x === null ? null : Number(x))),
    count: Number(r[cols.length]),
    matches: labels ? Number(r[cols.length + 1]) : undefined,
  }));
}

export interface ModelEvaluation {
  version: string;
  kind: string;
  threshold: number;
  pairwise: PairwiseMetrics;
  clusters: ClusterMetrics;
}

/** Scores `cand` with `model`, links identities and measures both against `labels`. */
export async function evaluateModel(
  conn: DuckDBConnection,
  model: IdentityModel,
  labels: string,
  threshold = model.threshold,
): Promise<ModelEvaluation> {
  const score = scoreSql(model);
  const pairwise = await pairwiseMetrics(conn, {
    scored: 'SELECT * FROM cand',
    score,
    threshold,
    records: 'SELECT record_id FROM prep',
    labels,
  });
  await connectedComponents(conn, {
    nodes: 'SELECT record_id FROM prep',
    edges: `SELECT left_id, right_id FROM cand WHERE ${score} >= ${threshold}`,
    out: 'eval_clusters',
  });
  const clusters = await clusterMetrics(conn, { clusters: 'SELECT * FROM eval_clusters', labels });
  return { version: model.version, kind: model.kind, threshold, pairwise, clusters };
}
