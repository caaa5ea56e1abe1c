// Parses a SQL pipeline file: a YAML header in a `/*--- ... ---*/` comment, then one query. The
// header is checked with one zod schema; every problem names the file, the line and the key, so
// `daybreak pipelines validate` can point at the mistake.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { checksSchema } from '../quality/checks.js';
import { keyName, PipelineFileError, type FileProblem } from './errors.js';

/** SQL pipeline execution modes (pluggable: each mode is a planner in the activities). */
export const SQL_MODES = ['single', 'map', 'shuffle'] as const;
export type SqlMode = (typeof SQL_MODES)[number];

/** An input's name is the view the query reads; `output` is the checks' view of the result. */
const inputName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, 'an input name is a SQL identifier: lower-case letters, digits, _')
  .refine((n) => n !== 'output', 'the name output is taken by the checks (the view of the result)');

/**
 * Another pipeline's output (`identity-join`: its partition of the run's date) or a dataset under
 * the data root (`raw/user_profile`: its dt=<date> partition, or all of it when unpartitioned).
 */
const datasetRef = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]*(\/[A-Za-z0-9_.-]+)*$/,
    'a pipeline name (identity-join) or a dataset path under the data root (raw/user_profile)',
  );

const columnName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column name (letters, digits, _)');

export const sqlHeaderSchema = z.strictObject({
  description: z.string().trim().min(1, 'say what the pipeline computes'),
  owner: z.string().trim().min(1, 'name the owning team'),
  inputs: z
    .record(inputName, datasetRef)
    .refine((r) => Object.keys(r).length > 0, 'declare at least one input'),
  mode: z.enum(SQL_MODES, { message: `one of ${SQL_MODES.join(', ')}` }).default('single'),
  /** mode shuffle: the column every input is split by (its stable bucket, lib/buckets.ts). */
  shardBy: columnName.optional(),
  checks: checksSchema.omit({ report: true }).optional(),
  /** Output columns holding PII besides the usual names (masked in failure samples). */
  pii: z.array(columnName).optional(),
});

export type SqlHeader = z.infer<typeof sqlHeaderSchema>;

export interface ParsedSqlFile {
  header: SqlHeader;
  /** The query, without a trailing semicolon. */
  sql: string;
  /** File line of the query's first line. */
  sqlLine: number;
  /** File line of a header key (`['checks', 'notNull', 0]`), or of its nearest parent. */
  lineOf(key: (string | number)[]): number;
}

const HEADER = /^(\s*)\/\*---[ \t]*\r?\n([\s\S]*?)^[ \t]*---\*\/[ \t]*(?:\r?\n|$)/m;

function countLines(text: string): number {
  return text.split('\n').length - 1;
}

/** Removes a trailing `;` (outside strings and comments), so the query can be wrapped. */
export function stripTrailingSemicolon(sql: string): string {
  let lastSignificant = -1;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end < 0 ? sql.length : end; // a doubled quote is two adjacent strings: same end
      lastSignificant = i;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (!/\s/.test(c)) {
      lastSignificant = i;
    }
  }
  if (lastSignificant >= 0 && sql[lastSignificant] === ';') {
    return (sql.slice(0, lastSignificant) + sql.slice(lastSignificant + 1)).trimEnd();
  }
  return sql.trimEnd();
}

/** Line (1-based, within the YAML) of the node at `path`, or of its nearest parent that exists. */
function yamlLine(doc: Document, counter: LineCounter, path: (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    if (sub.length > 0) {
      // The key's own line is what the user looks for (a value may sit on the next lines).
      const parent = sub.length === 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(sub.at(-1)));
        if (pair && isScalar(pair.key) && pair.key.range) return counter.linePos(pair.key.range[0]).line;
      }
    }
    const node = sub.length ? doc.getIn(sub, true) : doc.contents;
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return 1;
}

/** Parses and validates one SQL pipeline file; throws a PipelineFileError listing every problem. */
export function parseSqlPipeline(file: string, text: string): ParsedSqlFile {
  const match = HEADER.exec(text);
  if (!match || match.index !== 0) {
    throw new PipelineFileError(file, [
      {
        line: 1,
        message:
          'a SQL pipeline starts with its YAML header in a comment: /*--- on the first line, ---*/ after the header',
      },
    ]);
  }
  const yamlOffsetLines = countLines(match[1]!) + 1; // lines before the YAML's first line
  const yamlText = match[2]!;
  const counter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const fileLine = (yamlLineNo: number) => yamlOffsetLines + yamlLineNo;
  if (doc.errors.length) {
    // The first error is the mistake; the ones after it are its echoes.
    const e = doc.errors[0]!;
    throw new PipelineFileError(file, [
      {
        line: fileLine(counter.linePos(e.pos[0]).line),
        message: `header is not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      },
    ]);
  }
  const lineOf = (key: (string | number)[]) => fileLine(yamlLine(doc, counter, key));
  const raw: unknown = doc.toJS() ?? {};
  const problems: FileProblem[] = [];
  const parsed = sqlHeaderSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          const known = knownKeys(path);
          problems.push({
            line: lineOf([...path, key]),
            key: keyName([...path, key]),
            message: `unknown key${known ? `; known: ${known}` : ''}`,
          });
        }
      } else if (issue.code === 'invalid_key') {
        // A record key (an input name) that breaks the rule: name the key itself.
        const inner = issue.issues[0]?.message ?? issue.message;
        problems.push({ line: lineOf(path), key: keyName(path), message: inner });
      } else {
        problems.push({
          line: lineOf(path),
          key: keyName(path) || undefined,
          message: describeIssue(issue, raw, path),
        });
      }
    }
  }
  problems.push(...shardByProblems(raw, lineOf));
  const body = text.slice(match[0].length);
  const sqlLine = countLines(match[0]) + 1 + countLines(body.slice(0, body.length - body.trimStart().length));
  const sql = stripTrailingSemicolon(body.trim());
  if (sql === '') problems.push({ line: sqlLine, message: 'the query is missing after the header' });
  if (problems.length)
    throw new PipelineFileError(
      file,
      problems.sort((a, b) => a.line - b.line),
    );
  return { header: parsed.data!, sql, sqlLine, lineOf };
}

/**
 * `shardBy` goes with `mode: shuffle` and only with it (checked on the raw header, so it is
 * reported beside the header's other problems).
 */
function shardByProblems(raw: unknown, lineOf: (key: (string | number)[]) => number): FileProblem[] {
  const mode = valueAt(raw, ['mode']) ?? 'single';
  const shardBy = valueAt(raw, ['shardBy']);
  if (mode === 'shuffle' && shardBy === undefined) {
    return [
      {
        line: lineOf(['mode']),
        key: 'shardBy',
        message: 'required with mode: shuffle: the column every input is split by (e.g. shardBy: lvr_id)',
      },
    ];
  }
  if (shardBy !== undefined && mode !== 'shuffle') {
    return [
      {
        line: lineOf(['shardBy']),
        key: 'shardBy',
        message: `only with mode: shuffle (the mode is ${String(mode)}); remove it or set mode: shuffle`,
      },
    ];
  }
  return [];
}

function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let v = raw;
  for (const p of path)
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** zod's message in the header's terms: a missing key is "required", a wrong value is quoted. */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown, path: (string | number)[]): string {
  if (issue.code !== 'invalid_type') return issue.message;
  const value = valueAt(raw, path);
  if (value === undefined) return 'required';
  const expected =
    issue.expected === 'record' || issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`;
  return `expected ${expected}; got ${JSON.stringify(value)}`;
}

/** The keys allowed at a header path, for "unknown key" messages. */
function knownKeys(path: (string | number)[]): string | undefined {
  let schema: z.ZodType = sqlHeaderSchema;
  for (const p of path) {
    const shape = objectShape(schema);
    if (!shape || typeof p !== 'string' || !shape[p]) return undefined;
    schema = shape[p];
  }
  const shape = objectShape(schema);
  return shape ? Object.keys(shape).join(', ') : undefined;
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: z.ZodType = schema;
  // Unwrap optional / default / refinements down to the object.
  for (let i = 0; i < 5; i++) {
    if (s instanceof z.ZodObject) return s.shape as Record<string, z.ZodType>;
    const inner = (s as unknown as { unwrap?: () => z.ZodType }).unwrap?.();
    if (inner) {
      s = inner;
      continue;
    }
    const def = (s as unknown as { def?: { innerType?: z.ZodType; in?: z.ZodType } }).def;
    const next = def?.innerType ?? def?.in;
    if (!next) return undefined;
    s = next;
  }
  return undefined;
}
