// Whether a query may run as `mode: shuffle`: once per bucket of `shardBy`, each run seeing only
// the rows of every input whose key falls in that bucket. That gives the rows of one run over
// everything when every operator that combines rows combines only rows of one key value: joins
// on the key, groupings by it, windows partitioned by it, DISTINCT and set operations over rows
// that carry it. The check reads DuckDB's own parse tree (json_serialize_sql) and follows where
// the key goes (which columns of each relation hold an input's shardBy value on every row). It is
// conservative: what it cannot prove (a subquery expression, a join it cannot see the key in, a
// positional GROUP BY it cannot resolve, PIVOT, recursive CTEs, ...) is refused, with a message
// saying what to change or to use mode: single.
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../duckdb.js';

/** A refusal and where in the query (its own line, 1 = the first) it points. */
export interface ShuffleRefusal {
  message: string;
  line?: number;
}

type Json = Record<string, unknown>;

/** Where the key is in a relation: its columns (lower case) that hold the key on every row. */
interface Scope {
  /** Alias -> key columns reachable as `alias.column`. */
  qualified: Map<string, Set<string>>;
  /** Key columns reachable unqualified. */
  unqualified: Set<string>;
  readsInput: boolean;
}

/** What a query node gives its reader: its output columns that hold the key. */
interface Output {
  keys: Set<string>;
  /** Per output position, its name when it holds the key (unknown when the list has a `*`). */
  positions?: (string | undefined)[];
  readsInput: boolean;
}

class Refused extends Error {
  constructor(
    message: string,
    readonly location?: number,
  ) {
    super(message);
  }
}

const lower = (s: unknown) => String(s).toLowerCase();
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const location = (node: unknown): number | undefined => {
  const at = isObject(node) ? node.query_location : undefined;
  return typeof at === 'number' && at < 2 ** 53 - 1 ? at : undefined;
};

class ShuffleAnalysis {
  constructor(
    private readonly inputs: Set<string>,
    private readonly key: string,
    private readonly aggregates: Set<string>,
  ) {}

  query(node: Json, ctes: Map<string, Output>): Output {
    const scoped = this.ctes(node, ctes);
    if (node.type === 'SELECT_NODE') return this.select(node, scoped);
    if (node.type === 'SET_OPERATION_NODE') return this.setOperation(node, scoped);
    throw new Refused(`uses ${lower(node.type).replaceAll('_', ' ')} (e.g. a recursive CTE)`, location(node));
  }

  private ctes(node: Json, outer: Map<string, Output>): Map<string, Output> {
    const entries = ((node.cte_map as Json | undefined)?.map ?? []) as Json[];
    if (!entries.length) return outer;
    const scoped = new Map(outer);
    for (const entry of entries) {
      const cte = entry.value as Json;
      const aliases = (cte.aliases ?? []) as unknown[];
      const out = this.query((cte.query as Json).node as Json, scoped);
      scoped.set(lower(entry.key), aliases.length ? renamed(out, aliases.map(lower)) : out);
    }
    return scoped;
  }

  private setOperation(node: Json, ctes: Map<string, Output>): Output {
    const left = this.query(node.left as Json, ctes);
    const right = this.query(node.right as Json, ctes);
    if (!left.readsInput || !right.readsInput)
      throw new Refused(
        `combines a part that reads no input with ${node.setop_type}: every bucket would repeat it`,
      );
    const byName = String(node.setop_type).endsWith('BY_NAME');
    const keys = new Set([...left.keys].filter((k) => right.keys.has(k)));
    const positions =
      left.positions && right.positions
        ? left.positions.map((k, i) => (k !== undefined && right.positions![i] !== undefined ? k : undefined))
        : undefined;
    const out: Output = byName
      ? { keys, readsInput: true }
      : {
          keys: new Set(positions?.filter((k): k is string => k !== undefined)),
          positions,
          readsInput: true,
        };
    // UNION ALL keeps every row of each part: right per bucket. The others compare whole rows,
    // which is right per bucket only when the key is one of the compared columns.
    const all = node.setop_all === true && String(node.setop_type).startsWith('UNION');
    if (!all && out.keys.size === 0) {
      throw new Refused(
        `uses ${String(node.setop_type).replaceAll('_', ' ')}${node.setop_all ? ' ALL' : ''} over rows that do not carry ${this.key} in the same column on both sides`,
        location(node),
      );
    }
    this.noSubquery(node.modifiers);
    this.modifiers(node, out, emptyScope());
    return out;
  }

  private select(node: Json, ctes: Map<string, Output>): Output {
    const scope = this.from(node.from_table as Json, ctes);
    const selectList = node.select_list as Json[];
    const { from_table: _from, cte_map: _ctes, ...clauses } = node;
    this.noSubquery(clauses);
    if (node.sample) throw new Refused('samples', location(node));
    const groups = (node.group_expressions ?? []) as Json[];
    const groupSets = (node.group_sets ?? []) as number[][];
    const forced = node.aggregate_handling === 'FORCE_AGGREGATES';
    const aggregates =
      groups.length > 0 ||
      forced ||
      (node.having !== null && node.having !== undefined) ||
      selectList.some((e) => this.hasAggregate(e));
    if (aggregates) {
      const isKey = (e: Json) => this.groupIsKey(e, scope, selectList);
      if (forced) {
        if (!selectList.some((e) => !this.hasAggregate(e) && this.isKeyRef(e, scope)))
          throw new Refused(
            `groups (GROUP BY ALL) without ${this.key} among the grouped columns`,
            location(node),
          );
      } else if (groups.length === 0) {
        throw new Refused('aggregates over the whole input (no GROUP BY)', location(selectList[0]));
      } else {
        for (const set of groupSets.length ? groupSets : [groups.map((_, i) => i)]) {
          if (!set.some((i) => isKey(groups[i]!))) {
            const at = groups[0];
            throw new Refused(
              set.length === 0
                ? 'groups with a grand total (ROLLUP, CUBE or GROUPING SETS with ())'
                : `groups by ${set.map((i) => describe(groups[i]!)).join(', ')} without ${this.key}`,
              location(at),
            );
          }
        }
      }
    }
    for (const clause of [node.qualify, ...selectList]) this.windows(clause, scope);
    const out = this.outputOf(selectList, scope, aggregates);
    this.modifiers(node, out, scope);
    return out;
  }

  /** ORDER BY alone changes nothing (files have no order); LIMIT, DISTINCT need care. */
  private modifiers(node: Json, out: Output, scope: Scope): void {
    for (const m of (node.modifiers ?? []) as Json[]) {
      if (m.type === 'LIMIT_MODIFIER' || m.type === 'LIMIT_PERCENT_MODIFIER')
        throw new Refused(
          'limits (LIMIT/OFFSET keep rows of the whole result)',
          location(m.limit ?? m.offset),
        );
      if (m.type === 'DISTINCT_MODIFIER') {
        const on = (m.distinct_on_targets ?? []) as Json[];
        const ok = on.length ? on.some((e) => this.isKeyRef(e, scope)) : out.keys.size > 0;
        if (!ok)
          throw new Refused(`de-duplicates (DISTINCT) rows that do not include ${this.key}`, location(on[0]));
      }
    }
  }

  private outputOf(selectList: Json[], scope: Scope, aggregated: boolean): Output {
    const keys = new Set<string>();
    const positions: (string | undefined)[] = [];
    let star = false;
    for (const e of selectList) {
      if (e.class === 'STAR') {
        star = true;
        if (aggregated || e.columns === true || e.expr) continue;
        const excluded = new Set(
          [
            ...((e.exclude_list ?? []) as unknown[]),
            ...((e.replace_list ?? []) as Json[]).map((r) => r.key),
          ].map((x) =>
            lower(
              Array.isArray(x) ? x.at(-1) : isObject(x) ? ((x.column_names as unknown[]) ?? []).at(-1) : x,
            ),
          ),
        );
        const from = e.relation_name ? scope.qualified.get(lower(e.relation_name)) : scope.unqualified;
        for (const k of from ?? []) if (!excluded.has(k)) keys.add(k);
        continue;
      }
      const key = this.isKeyRef(e, scope)
        ? lower(e.alias || (e.column_names as unknown[]).at(-1))
        : undefined;
      positions.push(key);
      if (key !== undefined) keys.add(key);
    }
    return { keys, positions: star ? undefined : positions, readsInput: scope.readsInput };
  }

  private from(ref: Json, ctes: Map<string, Output>): Scope {
    const alias = ref.alias ? lower(ref.alias) : undefined;
    const renames = ((ref.column_name_alias ?? []) as unknown[]).map(lower);
    if (ref.sample) throw new Refused('samples', location(ref));
    switch (ref.type) {
      case 'BASE_TABLE': {
        const name = lower(ref.table_name);
        const cte = ref.schema_name ? undefined : ctes.get(name);
        const out: Output = cte ?? {
          keys: this.inputs.has(name) && !ref.schema_name ? new Set([this.key]) : new Set(),
          readsInput: this.inputs.has(name),
        };
        return single(alias ?? name, renames.length ? renamed(out, renames) : out);
      }
      case 'SUBQUERY': {
        const out = this.query((ref.subquery as Json).node as Json, ctes);
        return single(alias, renames.length ? renamed(out, renames) : out);
      }
      case 'EMPTY':
      case 'TABLE_FUNCTION':
      case 'EXPRESSION_LIST':
        this.noSubquery(ref);
        return { ...emptyScope(), qualified: alias ? new Map([[alias, new Set()]]) : new Map() };
      case 'JOIN':
        return this.join(ref, ctes);
      default:
        throw new Refused(`reads from a ${lower(ref.type).replaceAll('_', ' ')}`, location(ref));
    }
  }

  private join(ref: Json, ctes: Map<string, Output>): Scope {
    const left = this.from(ref.left as Json, ctes);
    const right = this.from(ref.right as Json, ctes);
    const kind = String(ref.ref_type);
    const type = String(ref.join_type);
    const named =
      kind === 'CROSS'
        ? 'a cross join (FROM a, b or CROSS JOIN)'
        : `a ${kind === 'REGULAR' ? '' : `${kind} `}${type === 'OUTER' ? 'FULL' : type} join`;
    if (kind !== 'REGULAR' && kind !== 'ASOF')
      throw new Refused(`has ${named}: join on ${this.key} (ON or USING)`, location(ref));
    this.noSubquery(ref.condition);
    const using = ((ref.using_columns ?? []) as unknown[]).map(lower);
    const both = (k: string) => left.unqualified.has(k) && right.unqualified.has(k);
    const onKey =
      using.some(both) ||
      conjuncts(ref.condition as Json | undefined).some((c) => this.keyEquality(c, left, right));
    if (!onKey)
      throw new Refused(
        `has ${named} whose condition does not include ${this.key} = ${this.key}`,
        location(ref),
      );
    if (type === 'SEMI' || type === 'ANTI') return left;
    // The padded side of an outer join holds NULL, not the key, on its unmatched rows.
    const keep = (s: Scope, padded: boolean): Scope =>
      padded
        ? {
            ...s,
            qualified: new Map([...s.qualified].map(([a]) => [a, new Set<string>()])),
            unqualified: new Set(),
          }
        : s;
    const l = keep(left, type === 'RIGHT' || type === 'OUTER');
    const r = keep(right, type === 'LEFT' || type === 'OUTER');
    return {
      qualified: new Map([...l.qualified, ...r.qualified]),
      // A USING column is one merged column: the key when it is the key on both sides.
      unqualified: new Set([...l.unqualified, ...r.unqualified, ...using.filter(both)]),
      readsInput: true,
    };
  }

  private keyEquality(c: Json, left: Scope, right: Scope): boolean {
    if (c.class !== 'COMPARISON' || (c.type !== 'COMPARE_EQUAL' && c.type !== 'COMPARE_NOT_DISTINCT_FROM'))
      return false;
    const a = c.left as Json;
    const b = c.right as Json;
    return (
      (this.isKeyRef(a, left) && this.isKeyRef(b, right)) ||
      (this.isKeyRef(a, right) && this.isKeyRef(b, left))
    );
  }

  /** A plain column reference to a key column of `scope`. */
  private isKeyRef(e: unknown, scope: Scope): boolean {
    if (!isObject(e) || e.class !== 'COLUMN_REF') return false;
    const names = (e.column_names as unknown[]).map(lower);
    if (names.length === 1) return scope.unqualified.has(names[0]!);
    if (names.length === 2) return scope.qualified.get(names[0]!)?.has(names[1]!) ?? false;
    return false;
  }

  /** A GROUP BY item that is the key: a key column, or a select item's alias or position that is. */
  private groupIsKey(e: Json, scope: Scope, selectList: Json[]): boolean {
    if (this.isKeyRef(e, scope)) return true;
    if (e.class === 'CONSTANT') {
      const n = Number((e.value as Json | undefined)?.value);
      return Number.isInteger(n) && this.isKeyRef(selectList[n - 1], scope);
    }
    if (e.class === 'COLUMN_REF' && (e.column_names as unknown[]).length === 1) {
      const name = lower((e.column_names as unknown[])[0]);
      return selectList.some((s) => lower(s.alias) === name && this.isKeyRef(s, scope));
    }
    return false;
  }

  private hasAggregate(e: unknown): boolean {
    if (!isObject(e) || e.class === 'WINDOW' || e.class === 'SUBQUERY') return false;
    if (e.class === 'FUNCTION' && this.aggregates.has(lower(e.function_name))) return true;
    return Object.values(e).some((v) =>
      Array.isArray(v) ? v.some((x) => this.hasAggregate(x)) : this.hasAggregate(v),
    );
  }

  /** Every window function partitions by the key. */
  private windows(e: unknown, scope: Scope): void {
    walk(e, (n) => {
      if (n.class !== 'WINDOW') return;
      const partitions = (n.partitions ?? []) as Json[];
      if (!partitions.some((p) => this.isKeyRef(p, scope)))
        throw new Refused(
          `uses the window function ${String(n.function_name)} over ${partitions.length ? 'partitions' : 'the whole result'} not split by ${this.key} (PARTITION BY ${this.key})`,
          location(n),
        );
    });
  }

  private noSubquery(e: unknown): void {
    walk(e, (n) => {
      if (n.class === 'SUBQUERY')
        throw new Refused(
          `has a subquery expression (${String(n.subquery_type).toLowerCase()}); write it as a join on ${this.key}`,
          location(n),
        );
    });
  }
}

function emptyScope(): Scope {
  return { qualified: new Map(), unqualified: new Set(), readsInput: false };
}

function single(alias: string | undefined, out: Output): Scope {
  return {
    qualified: alias ? new Map([[alias, out.keys]]) : new Map(),
    unqualified: out.keys,
    readsInput: out.readsInput,
  };
}

/** An output seen through column aliases `t(a, b, ...)`: renamed by position (when known). */
function renamed(out: Output, names: string[]): Output {
  if (!out.positions) return { keys: new Set(), readsInput: out.readsInput };
  // Columns past the aliases keep their names.
  const positions = out.positions.map((k, i) => (k !== undefined ? (names[i] ?? k) : undefined));
  return {
    keys: new Set(positions.filter((k): k is string => k !== undefined)),
    positions,
    readsInput: out.readsInput,
  };
}

function conjuncts(e: Json | undefined): Json[] {
  if (!e) return [];
  if (e.class === 'CONJUNCTION' && e.type === 'CONJUNCTION_AND')
    return (e.children as Json[]).flatMap(conjuncts);
  return [e];
}

/** Visits every expression node under `e` (not into subqueries' own nodes). */
function walk(e: unknown, visit: (n: Json) => void): void {
  if (Array.isArray(e)) {
    for (const x of e) walk(x, visit);
    return;
  }
  if (!isObject(e)) return;
  if (typeof e.class === 'string') visit(e);
  for (const [k, v] of Object.entries(e)) if (k !== 'subquery') walk(v, visit);
}

function describe(e: Json): string {
  if (e.class === 'COLUMN_REF') return (e.column_names as unknown[]).join('.');
  if (e.class === 'CONSTANT') return `position ${String((e.value as Json | undefined)?.value)}`;
  return 'an expression';
}

/** The query's line (1 = its first) of a character offset. */
function lineAt(sql: string, offset: number | undefined): number | undefined {
  return offset === undefined ? undefined : sql.slice(0, offset).split('\n').length;
}

/**
 * Why `sql` cannot run as `mode: shuffle` by `shardBy` over `inputs` (view names), or undefined.
 * Parses only (json_serialize_sql); needs no tables.
 */
export async function shuffleRefusal(
  conn: DuckDBConnection,
  sql: string,
  inputs: string[],
  shardBy: string,
): Promise<ShuffleRefusal | undefined> {
  const key = shardBy.toLowerCase();
  const shuffle = `shuffle runs the query once per bucket of ${shardBy} (each input split by it)`;
  const parsed = JSON.parse(
    String((await conn.runAndReadAll(`SELECT json_serialize_sql(${sqlString(sql)})`)).getRows()[0]![0]),
  ) as { error: boolean; error_message?: string; statements?: { node: Json }[] };
  if (parsed.error || parsed.statements?.length !== 1)
    return {
      message: `${shuffle}, but the query could not be parsed for the check: ${parsed.error_message ?? 'not one statement'}; use mode: single`,
    };
  const aggregates = new Set(
    (
      await conn.runAndReadAll(
        "SELECT DISTINCT lower(function_name) FROM duckdb_functions() WHERE function_type = 'aggregate'",
      )
    )
      .getRows()
      .map((r) => String(r[0])),
  );
  const analysis = new ShuffleAnalysis(new Set(inputs.map(lower)), key, aggregates);
  try {
    const out = analysis.query(parsed.statements[0]!.node, new Map());
    if (!out.readsInput) return { message: `${shuffle}, but the query reads no input; use mode: single` };
    return undefined;
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    return {
      message: `${shuffle}, but the query ${err.message}: per bucket its results would be wrong; use mode: single`,
      line: lineAt(sql, err.location),
    };
  }
}
