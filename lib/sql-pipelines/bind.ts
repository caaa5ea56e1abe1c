// Binding a pipeline's query without running it: it must be one SELECT, DuckDB resolves its
// columns against the inputs' schemas, and for `mode: map` its plan must give the same rows when
// run per group of the first input's files as when run once over all of them.
import { StatementType, type DuckDBConnection } from '@duckdb/node-api';

export interface OutputColumn {
  name: string;
  /** DuckDB's type name, e.g. VARCHAR, BIGINT, TIMESTAMP. */
  type: string;
}

/** A query that does not bind; `line` is the query's own line (1 = its first) when DuckDB says. */
export class QueryError extends Error {
  override name = 'QueryError';
  constructor(
    message: string,
    readonly kind: 'statement' | 'bind' | 'map',
    readonly line?: number,
  ) {
    super(message);
  }
}

const STATEMENT_NAMES: Partial<Record<number, string>> = Object.fromEntries(
  Object.entries(StatementType)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v, k]),
);

/** DuckDB's error without its caret drawing; the LINE it names, if any. */
function duckdbError(err: unknown): { message: string; line?: number } {
  const text = (err instanceof Error ? err.message : String(err)).replace(
    /^Failed to extract statements: /,
    '',
  );
  const line = /\nLINE (\d+):/.exec(text);
  const message = text
    .split(/\n\s*\nLINE \d+:|\nLINE \d+:/)[0]!
    .replace(/\n+/g, ' ')
    .trim();
  return {
    message: message === 'Error in native callback' ? 'the query is empty' : message,
    line: line ? Number(line[1]) : undefined,
  };
}

/** Binds `sql` (one SELECT) and returns its output columns. Nothing runs and nothing is read. */
export async function bindQuery(conn: DuckDBConnection, sql: string): Promise<OutputColumn[]> {
  let statements;
  try {
    statements = await conn.extractStatements(sql);
  } catch (err) {
    const e = duckdbError(err);
    throw new QueryError(e.message, 'bind', e.line);
  }
  if (statements.count !== 1) {
    throw new QueryError(`the query must be one statement; found ${statements.count}`, 'statement');
  }
  let prepared;
  try {
    prepared = await statements.prepare(0);
  } catch (err) {
    const e = duckdbError(err);
    throw new QueryError(e.message, 'bind', e.line);
  }
  try {
    if (prepared.statementType !== StatementType.SELECT) {
      const kind = STATEMENT_NAMES[prepared.statementType] ?? 'other';
      throw new QueryError(
        `the query must be one SELECT (or WITH ... SELECT); found a ${kind} statement`,
        'statement',
      );
    }
    const columns: OutputColumn[] = [];
    for (let i = 0; i < prepared.columnCount; i++) {
      columns.push({ name: prepared.columnName(i), type: prepared.columnType(i).toString() });
    }
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c.name))
        throw new QueryError(`the query returns two columns named ${c.name}; give one an alias`, 'bind');
      seen.add(c.name);
    }
    return columns;
  } finally {
    prepared.destroySync();
  }
}

interface PlanNode {
  name: string;
  children: PlanNode[];
  extra_info?: Record<string, unknown>;
}

/** Why a plan node makes per-group results differ from one run over everything. */
const WHOLE_INPUT_OPERATORS: Record<string, string> = {
  AGGREGATE: 'aggregates',
  WINDOW: 'uses a window function',
  ORDER_BY: 'sorts',
  TOP_N: 'limits',
  LIMIT: 'limits',
  DISTINCT: 'de-duplicates',
  SAMPLE: 'samples',
  UNION: 'combines results with UNION',
  EXCEPT: 'combines results with EXCEPT',
  INTERSECT: 'combines results with INTERSECT',
  RECURSIVE_CTE: 'uses a recursive CTE',
  REC_CTE: 'uses a recursive CTE',
  POSITIONAL_JOIN: 'joins by position',
  PIVOT: 'pivots',
};

/** Operators a row of the first input passes through unchanged in meaning (per row). */
const ROW_WISE = new Set(['PROJECTION', 'FILTER', 'UNNEST']);

/** Join types that stay correct per group with the first input on the given side. */
const JOIN_SIDES: Record<string, ('left' | 'right')[]> = {
  INNER: ['left', 'right'],
  LEFT: ['left'],
  RIGHT: ['right'],
  SEMI: ['left'],
  ANTI: ['left'],
  MARK: ['left'],
  SINGLE: ['left'],
};

const JOINS = new Set([
  'COMPARISON_JOIN',
  'DEPENDENT_JOIN',
  'ANY_JOIN',
  'DELIM_JOIN',
  'ASOF_JOIN',
  'CROSS_PRODUCT',
]);

/** Where a plan reads the first input, and the first reason it is not row-wise on it. */
function firstInputPath(
  node: PlanNode,
  isFirst: (n: PlanNode) => boolean,
  ctes: Map<string, number>,
): { reads: number; refusal?: string } {
  if (node.name === 'CTE' || node.name === 'MATERIALIZED_CTE') {
    const [definition, body] = node.children;
    const def = definition ? firstInputPath(definition, isFirst, ctes) : { reads: 0 };
    if (def.refusal) return def;
    ctes.set(String(node.extra_info?.['Table Index']), def.reads);
    return body ? firstInputPath(body, isFirst, ctes) : { reads: 0 };
  }
  if (node.name === 'CTE_SCAN') return { reads: ctes.get(String(node.extra_info?.['CTE Index'])) ?? 0 };
  if (isFirst(node)) return { reads: 1 };
  const children = node.children.map((c) => firstInputPath(c, isFirst, ctes));
  const refused = children.find((c) => c.refusal);
  if (refused) return refused;
  const reads = children.reduce((s, c) => s + c.reads, 0);
  if (reads === 0) return { reads };
  if (ROW_WISE.has(node.name)) return { reads };
  if (JOINS.has(node.name) && children.length === 2) {
    const side = children[0]!.reads > 0 ? 'left' : 'right';
    const joinType =
      node.name === 'CROSS_PRODUCT' ? 'INNER' : String(node.extra_info?.['Join Type'] ?? 'INNER');
    if ((JOIN_SIDES[joinType] ?? []).includes(side)) return { reads };
    return { reads, refusal: `has a ${joinType} join that keeps rows of the other side` };
  }
  return {
    reads,
    refusal: WHOLE_INPUT_OPERATORS[node.name] ?? `uses ${node.name.toLowerCase().replaceAll('_', ' ')}`,
  };
}

/**
 * Why `sql` cannot run as `mode: map` (one task per group of `firstInput`'s files, other inputs
 * whole), or undefined when every output row comes from one row of the first input. Reads the
 * unoptimized logical plan (EXPLAIN, nothing runs; needs `explain_output = 'all'`, set by the
 * sandbox). `firstInput` must be a table in this session (an empty one will do) so its scans can
 * be told apart.
 */
export async function mapRefusal(
  conn: DuckDBConnection,
  sql: string,
  firstInput: string,
): Promise<string | undefined> {
  const reader = await conn.runAndReadAll(`EXPLAIN (FORMAT json) ${sql}`);
  const logical = reader.getRows().find((r) => r[0] === 'logical_plan');
  if (!logical) throw new Error('EXPLAIN gave no logical plan (is explain_output set to all?)');
  const roots = JSON.parse(String(logical[1])) as PlanNode[];
  const table = new RegExp(`(^|\\.)("?)${firstInput}\\2$`);
  const isFirst = (n: PlanNode) => n.name === 'SEQ_SCAN' && table.test(String(n.extra_info?.Table ?? ''));
  const ctes = new Map<string, number>();
  const paths = roots.map((r) => firstInputPath(r, isFirst, ctes));
  const refused = paths.find((p) => p.refusal);
  const reads = paths.reduce((s, p) => s + p.reads, 0);
  const map = `map runs the query once per group of ${firstInput}'s files (the first input)`;
  const use = 'use mode: single';
  if (refused)
    return `${map}, but the query ${refused.refusal}: per group its results would be wrong; ${use}`;
  if (reads === 0) return `${map}, but the query does not read ${firstInput}; ${use}`;
  if (reads > 1) return `${map}, but the query reads ${firstInput} ${reads} times (e.g. a self-join); ${use}`;
  return undefined;
}
