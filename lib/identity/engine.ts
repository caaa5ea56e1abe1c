// Identity resolution in one DuckDB session: the building blocks the sharded activities run
// piece by piece, composed end to end for `daybreak models train|evaluate|blocking`, tests and
// the benchmark's single-query baseline.
import type { DuckDBConnection } from '@duckdb/node-api';
import { DEFAULT_RULES, KEY_PARTS, shardPairsSql, type BlockingRule, type KeyPartName } from './blocking.js';
import {
  COMPARISONS,
  comparisonColumnsSql,
  DERIVED_COLUMNS,
  levelColumn,
  type Comparison,
} from './comparisons.js';
import { linkRecords } from './link.js';
import type { FieldPresence } from './fields.js';
import type { Pattern } from './fit.js';
import { clusterMetrics, pairwiseMetrics, type ClusterMetrics, type PairwiseMetrics } from './metrics.js';
import { modelLinkage, scoreSql, type IdentityModel } from './model.js';
import { prepareRecords, stableRecordHashSql } from './prepare.js';

export const DEFAULT_MAX_BLOCK_SIZE = 1000;

/** Candidate pairs of one shard with their comparison levels, as a table. */
export async function buildCandidates(
  conn: DuckDBConnection,
  opts: {
    prep?: string;
    shard: number;
    shards: number;
    out: string;
    rules?: BlockingRule[];
    comparisons?: readonly Comparison[];
  },
): Promise<number> {
  await conn.run(
    `CREATE OR REPLACE TABLE ${opts.out} AS ${shardPairsSql({
      table: opts.prep ?? 'prep',
      shard: opts.shard,
      shards: opts.shards,
      rules: opts.rules ?? DEFAULT_RULES,
      cols: comparisonColumnsSql(opts.comparisons ?? COMPARISONS),
    })}`,
  );
  return Number((await conn.runAndReadAll(`SELECT count(*) FROM ${opts.out}`)).getRows()[0]![0]);
}

/**
 * A shard file's prep table as comparisons needing `columns` read it: a file written by a worker
 * of an earlier release (during a rolling deploy) may lack a derived column (DERIVED_COLUMNS),
 * derived here instead, in a temporary view. Returns the table or view to read.
 */
export async function shardPrepTable(
  conn: DuckDBConnection,
  table: string,
  columns: string[],
): Promise<string> {
  const described = await conn.runAndReadAll(`SELECT column_name FROM (DESCRIBE ${table})`);
  const have = new Set(described.getRows().map((r) => String(r[0])));
  const missing = columns.filter((c) => !have.has(c) && Object.hasOwn(DERIVED_COLUMNS, c));
  if (missing.length === 0) return table;
  await conn.run(
    `CREATE OR REPLACE TEMP VIEW shard_prep AS SELECT *, ${missing.map((c) => `${DERIVED_COLUMNS[c]} AS ${c}`).join(', ')} FROM ${table}`,
  );
  return 'shard_prep';
}

export interface BlockedData {
  candidates: number;
  records: number;
  cappedKeys: number;
  fields: FieldPresence;
}

/** Prepares records and builds all candidate pairs (one shard) into `cand`. */
export async function prepareAndBlock(
  conn: DuckDBConnection,
  files: string[],
  opts: {
    maxBlockSize?: number;
    rules?: BlockingRule[];
    comparisons?: readonly Comparison[];
    fields?: FieldPresence;
  } = {},
): Promise<BlockedData> {
  const rules = opts.rules ?? DEFAULT_RULES;
  const prepared = await prepareRecords(conn, {
    files,
    shards: 1,
    maxBlockSize: opts.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE,
    rules,
    fields: opts.fields,
  });
  const candidates = await buildCandidates(conn, {
    shard: 0,
    shards: 1,
    out: 'cand',
    rules,
    comparisons: opts.comparisons,
  });
  return { candidates, ...prepared };
}

/** Pairs grouped by comparison vector; with labels, the matches per group. */
export async function candidatePatterns(
  conn: DuckDBConnection,
  labels?: string,
  opts: { comparisons?: readonly Comparison[]; table?: string } = {},
): Promise<Pattern[]> {
  const cols = (opts.comparisons ?? COMPARISONS).map(levelColumn);
  const match = labels ? `count(*) FILTER (WHERE a.person_id = b.person_id)` : 'NULL';
  const join = labels
    ? `LEFT JOIN ${labels} a ON a.record_id = c.left_id LEFT JOIN ${labels} b ON b.record_id = c.right_id`
    : '';
  const rows = (
    await conn.runAndReadAll(
      `SELECT ${cols.map((c) => `c.${c}`).join(', ')}, count(*) AS n, ${match} AS pos FROM ${opts.table ?? 'cand'} c ${join} GROUP BY ALL ORDER BY ALL`,
    )
  ).getRows();
  return rows.map((r) => ({
    levels: r.slice(0, cols.length).map((x) => (x === null ? null : Number(x))),
    count: Number(r[cols.length]),
    matches: labels ? Number(r[cols.length + 1]) : undefined,
  }));
}

async function patternsOf(
  conn: DuckDBConnection,
  pairsSql: string,
  comps: readonly Comparison[],
): Promise<Pattern[]> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE sample_pairs AS
    SELECT ${comparisonColumnsSql(comps)} FROM (${pairsSql}) p JOIN prep l ON l.rid = p.l JOIN prep r ON r.rid = p.r`);
  const patterns = await candidatePatterns(conn, undefined, { comparisons: comps, table: 'sample_pairs' });
  await conn.run('DROP TABLE sample_pairs');
  return patterns;
}

/**
 * Comparison patterns of about `pairs` record pairs drawn at random (deterministic by `seed`):
 * the population u is estimated from. Each record is paired with ceil(pairs / n) others.
 */
export async function randomPairPatterns(
  conn: DuckDBConnection,
  comps: readonly Comparison[],
  opts: { pairs?: number; seed?: number } = {},
): Promise<{ patterns: Pattern[]; pairs: number }> {
  const n = Number((await conn.runAndReadAll('SELECT count(*) FROM prep')).getRows()[0]![0]);
  const perRecord = Math.max(1, Math.ceil((opts.pairs ?? 500_000) / n));
  const seed = opts.seed ?? 1;
  // The draw depends on record_ids only, not on how the prep table numbers its rows (when rid
  // followed the files' row order and the order a multi-threaded join left the rows in, the same
  // records trained different models; keyRecords now numbers in record_id order, but a prep
  // table from elsewhere need not). Partners are drawn by position in record_id order.
  await conn.run(`CREATE OR REPLACE TEMP TABLE random_pos AS
    SELECT rid, (row_number() OVER (ORDER BY record_id) - 1)::INTEGER AS pos, ${stableRecordHashSql('record_id')} AS h FROM prep`);
  const pairs = `SELECT d.l, b.rid AS r
    FROM (SELECT a.rid AS l, (hash(a.h, k, ${seed}) % ${n})::INTEGER AS pos FROM random_pos a, range(${perRecord}) t(k)) d
    JOIN random_pos b ON b.pos = d.pos AND b.rid <> d.l`;
  const patterns = await patternsOf(conn, pairs, comps);
  await conn.run('DROP TABLE random_pos');
  return { patterns, pairs: patterns.reduce((s, p) => s + p.count, 0) };
}

/**
 * Patterns of the pairs sharing an exact key (an EM training session), at most `maxPairs` of
 * them (a deterministic sample when there are more) and blocks of at most `maxBlockSize`.
 */
export async function keyPairPatterns(
  conn: DuckDBConnection,
  comps: readonly Comparison[],
  parts: KeyPartName[],
  opts: { maxPairs?: number; maxBlockSize?: number; seed?: number } = {},
): Promise<{ patterns: Pattern[]; pairs: number }> {
  const key = parts.map((p) => KEY_PARTS[p].sql).join(` || '|' || `);
  await conn.run(`CREATE OR REPLACE TEMP TABLE session_keys AS
    WITH k AS (SELECT rid, ${stableRecordHashSql('record_id')} AS h, ${key} AS k FROM prep)
    SELECT k.rid, k.h, k.k FROM k JOIN (SELECT k FROM k WHERE k IS NOT NULL GROUP BY 1 HAVING count(*) <= ${opts.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE}) USING (k)`);
  const total = Number(
    (
      await conn.runAndReadAll(
        'SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM session_keys GROUP BY k)',
      )
    ).getRows()[0]![0],
  );
  const maxPairs = opts.maxPairs ?? 2_000_000;
  const keep =
    total > maxPairs
      ? `AND hash(least(a.h, b.h), greatest(a.h, b.h), ${opts.seed ?? 1}) % 1000000 < ${Math.ceil((maxPairs / total) * 1e6)}`
      : '';
  const pairs = `SELECT a.rid AS l, b.rid AS r FROM session_keys a JOIN session_keys b ON a.k = b.k AND a.rid < b.rid ${keep}`;
  const patterns = await patternsOf(conn, pairs, comps);
  await conn.run('DROP TABLE session_keys');
  return { patterns, pairs: patterns.reduce((s, p) => s + p.count, 0) };
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
  opts: { threshold?: number; usable?: readonly Comparison[] } = {},
): Promise<ModelEvaluation> {
  const threshold = opts.threshold ?? model.threshold;
  const records = Number((await conn.runAndReadAll('SELECT count(*) FROM prep')).getRows()[0]![0]);
  const score = scoreSql(model, { usable: opts.usable, records });
  const pairwise = await pairwiseMetrics(conn, {
    scored: 'SELECT * FROM cand',
    score,
    threshold,
    records: 'SELECT record_id FROM prep',
    labels,
  });
  await linkRecords(conn, {
    nodes: 'SELECT record_id FROM prep',
    pairs: `SELECT left_id, right_id, ${score} AS score FROM cand`,
    threshold,
    linkage: modelLinkage(model),
    out: 'eval_clusters',
  });
  const clusters = await clusterMetrics(conn, { clusters: 'SELECT * FROM eval_clusters', labels });
  return { version: model.version, kind: model.kind, threshold, pairwise, clusters };
}
