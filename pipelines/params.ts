// Parameters from operator strings, through each pipeline's zod schema: the helpers the schemas
// are written with (each carries its own validation message), the builder that fills dataset
// defaults for the run's date, and the `--help` lines.
import { z } from 'zod';
import type { Config } from '../lib/config.js';
import { inputDefault, type Dataset } from '../lib/datasets.js';
import { MAX_SHARDS } from '../lib/shards.js';
import { ParamError, type ParamsSchema, type PipelineDefinition } from './types.js';

const got = (input: unknown) => JSON.stringify(String(input));

/** A positive whole number given as a string. */
export function positiveInt() {
  return z
    .string()
    .regex(/^\d+$/, { error: (iss) => `must be a positive whole number; got ${got(iss.input)}` })
    .transform(Number)
    .refine((n) => n > 0, { error: (iss) => `must be a positive whole number; got ${got(iss.input)}` });
}

/** An explicit shard count: a positive whole number up to MAX_SHARDS (lib/shards.ts). */
export function shardCount(unit = 'one task each') {
  return positiveInt().refine((n) => n <= MAX_SHARDS, {
    error: (iss) => `must be at most ${MAX_SHARDS} (${unit}); got ${String(iss.input)}`,
  });
}

/** One of `values`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) => `must be one of ${values.join(', ')}; got ${String(iss.input)}`,
  });
}

/** A comma-separated list of non-empty items, each checked by `item` (e.g. a known name). */
export function commaList(what: string) {
  return z.string().transform((value, ctx) => {
    const items = value.split(',').map((v) => v.trim());
    if (items.some((v) => v === '')) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a comma-separated list of ${what}; got ${got(value)}`,
      });
      return z.NEVER;
    }
    return [...new Set(items)];
  });
}

/** A dataset URI (a path, a glob or gs://); unset ones default to the declared dataset. */
export function datasetUri() {
  return z.string().min(1, { error: 'must be a path, glob or gs:// URI' });
}

/** The fields of a parameter schema: a z.object, possibly piped into a transform. */
export function paramShape(schema: ParamsSchema): Record<string, z.ZodType> {
  const def = (schema as unknown as { _zod: { def: { type: string; shape?: object; in?: ParamsSchema } } })
    ._zod.def;
  if (def.type === 'object') return def.shape as Record<string, z.ZodType>;
  if (def.type === 'pipe' && def.in) return paramShape(def.in);
  throw new Error('a pipeline parameter schema must be a z.object (optionally with a transform)');
}

/** Empty strings (a schedule's `key: ''`) mean "not given". */
function blankAsUnset(raw: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
}

export interface ParamContext {
  config: Config;
  runDate: string;
}

/** The datasets a definition binds to parameters: its inputs, and its output on `output`. */
export function boundDatasets(def: PipelineDefinition): Record<string, Dataset> {
  return { ...def.inputs, output: def.output };
}

/**
 * Typed parameters for a run of `def` on `runDate`: unknown names are refused, unset dataset
 * parameters get the declared dataset's URI, and the schema checks and converts the rest.
 * Throws a ParamError naming the parameter.
 */
export function buildParams(
  def: PipelineDefinition,
  raw: Record<string, string>,
  { config, runDate }: ParamContext,
): unknown {
  const known = Object.keys(paramShape(def.params));
  for (const key of Object.keys(raw)) {
    if (!known.includes(key))
      throw new ParamError(`${def.name} has no parameter ${JSON.stringify(key)}; known: ${known.join(', ')}`);
  }
  const given = blankAsUnset(raw);
  const filled: Record<string, string> = { ...given };
  for (const [param, dataset] of Object.entries(boundDatasets(def))) {
    if (filled[param] === undefined && known.includes(param))
      filled[param] = inputDefault(dataset, config.DAYBREAK_DATA_ROOT, runDate);
  }
  const parsed = def.params.safeParse(filled);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `parameter ${issue.path.join('.')} ` : `${def.name}: `;
  throw new ParamError(`${where}${issue.message}`);
}

/** How a dataset parameter's default reads in help text: `<root>/raw/x`, `<root>/curated/p/dt=<date>`. */
function datasetDefault(dataset: Dataset): string {
  return dataset.producer !== undefined ? `<root>/${dataset.name}/dt=<date>` : `<root>/${dataset.name}`;
}

/** The default a schema field declares (`.default(...)`), if any. */
function schemaDefault(field: z.ZodType): unknown {
  const def = (field as { _zod?: { def?: { type?: string; defaultValue?: unknown; innerType?: z.ZodType } } })
    ._zod?.def;
  if (def?.type === 'default') return def.defaultValue;
  if (def?.innerType) return schemaDefault(def.innerType);
  return undefined;
}

/** One line per parameter: name, description, default (from the schema or the bound dataset). */
export function paramHelp(
  def: PipelineDefinition,
): { name: string; description: string; default?: string }[] {
  const bound = boundDatasets(def);
  return Object.entries(paramShape(def.params)).map(([name, field]) => {
    const dataset = bound[name];
    const fromSchema = schemaDefault(field);
    return {
      name,
      description: field.description ?? '',
      default: dataset
        ? datasetDefault(dataset)
        : fromSchema === undefined
          ? undefined
          : Array.isArray(fromSchema)
            ? fromSchema.join(',')
            : String(fromSchema),
    };
  });
}
