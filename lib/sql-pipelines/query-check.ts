// Checks a SQL pipeline's query against its inputs' schemas without running it: DuckDB binds it
// (output columns), `mode: map` is refused for plans that are not row-wise on the first input,
// checks may name only columns the query produces, and violations queries bind against the
// output, and `mode: shuffle` needs the shardBy column in every input and a query whose joins and
// groupings keep to it (shuffle-check.ts). Everything runs in a sandboxed session over empty tables of the inputs' columns.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent } from '../duckdb.js';
import { checkedColumns, violationQueries } from '../quality/checks.js';
import { bindQuery, mapRefusal, QueryError, type OutputColumn } from './bind.js';
import type { SqlPipelineDefinition } from './definition.js';
import { keyName, PipelineFileError, type FileProblem } from './errors.js';
import { enterSandbox, sandboxRefusal } from './sandbox.js';
import { shuffleRefusal } from './shuffle-check.js';

export interface QueryCheckInput {
  definition: SqlPipelineDefinition;
  /** Local Parquet files per input whose columns stand for the input (e.g. its latest partition). */
  schemaFiles: Record<string, string[]>;
  /** getvariable('run_date') while binding. */
  runDate: string;
  /** Header key -> file line, when the header is at hand (validation); else the header's line. */
  lineOf?: (key: (string | number)[]) => number;
}

/**
 * Returns the query's output columns; throws a PipelineFileError listing every problem found. Runs
 * in a DuckDB instance of its own (the sandbox locks the whole instance); it holds no data.
 */
export async function checkQuery(input: QueryCheckInput): Promise<OutputColumn[]> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const conn = await instance.connect();
  try {
    return await checkInSandbox(conn, input);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function checkInSandbox(conn: DuckDBConnection, input: QueryCheckInput): Promise<OutputColumn[]> {
  const def = input.definition;
  const lineOf = input.lineOf ?? (() => 1);
  const queryLine = (e: QueryError) => def.sqlLine + (e.line ?? 1) - 1;
  await enterSandbox(conn, { emptyTables: input.schemaFiles, runDate: input.runDate });
  let columns: OutputColumn[];
  try {
    columns = await bindQuery(conn, def.sql);
  } catch (err) {
    if (!(err instanceof QueryError)) throw err;
    const refused = err.kind === 'statement' ? err.message : sandboxRefusal(err.message);
    throw new PipelineFileError(def.file, [{ line: queryLine(err), message: err.message, refused }]);
  }
  const problems: FileProblem[] = [];
  if (def.mode === 'map') {
    const first = Object.keys(def.inputs)[0]!;
    const refusal = await mapRefusal(conn, def.sql, first);
    if (refusal) problems.push({ line: lineOf(['mode']), key: 'mode', message: refusal });
  }
  if (def.mode === 'shuffle') problems.push(...(await shuffleProblems(conn, def, lineOf)));
  const names = new Set(columns.map((c) => c.name));
  const produced = columns.map((c) => c.name).join(', ');
  for (const { column, key } of checkedColumns(def.checks ?? {})) {
    if (!names.has(column)) {
      problems.push({
        line: lineOf(key),
        key: keyName(key),
        message: `column ${column} is not in the query's output (${produced})`,
      });
    }
  }
  const queries = violationQueries(def.checks ?? {});
  if (queries.length) {
    await conn.run(
      `CREATE TEMP TABLE output (${columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ')})`,
    );
    for (const [i, sql] of queries.entries()) {
      const key = typeof def.checks!.sql === 'string' ? ['checks', 'sql'] : ['checks', 'sql', i];
      try {
        await bindQuery(conn, sql);
      } catch (err) {
        if (!(err instanceof QueryError)) throw err;
        problems.push({
          line: lineOf(key),
          key: keyName(key),
          message: `violations query: ${err.message}`,
          refused: err.kind === 'statement' ? err.message : sandboxRefusal(err.message),
        });
      }
    }
  }
  if (problems.length)
    throw new PipelineFileError(
      def.file,
      problems.sort((a, b) => a.line - b.line),
    );
  return columns;
}

/**
 * `mode: shuffle`: every input has the shardBy column, of one type in all of them (the buckets hash
 * its text: 1 and 1.0 would land in different buckets), and the query is valid per bucket.
 */
async function shuffleProblems(
  conn: DuckDBConnection,
  def: SqlPipelineDefinition,
  lineOf: (key: (string | number)[]) => number,
): Promise<FileProblem[]> {
  const shardBy = def.shardBy!;
  const problems: FileProblem[] = [];
  const types = new Map<string, string>();
  for (const [view, dataset] of Object.entries(def.inputs)) {
    const described = (await conn.runAndReadAll(`DESCRIBE ${sqlIdent(view)}`)).getRowObjects();
    const column = described.find((c) => String(c.column_name) === shardBy);
    if (!column) {
      problems.push({
        line: lineOf(['shardBy']),
        key: 'shardBy',
        message: `input ${view} (${dataset}) has no column ${shardBy} (columns: ${described.map((c) => String(c.column_name)).join(', ')}); every input is split by it`,
      });
    } else types.set(view, String(column.column_type));
  }
  if (new Set(types.values()).size > 1) {
    problems.push({
      line: lineOf(['shardBy']),
      key: 'shardBy',
      message: `${shardBy} has different types in the inputs (${[...types].map(([v, t]) => `${v}: ${t}`).join(', ')}); buckets hash its text, so cast it to one type upstream`,
    });
  }
  const refusal = await shuffleRefusal(conn, def.sql, Object.keys(def.inputs), shardBy);
  if (refusal) {
    problems.push({
      line: refusal.line !== undefined ? def.sqlLine + refusal.line - 1 : lineOf(['mode']),
      key: 'mode',
      message: refusal.message,
    });
  }
  return problems;
}
