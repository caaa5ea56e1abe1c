// The catalogue: a checked set of pipeline definitions (the built-ins, plus any a caller adds: SQL
// pipelines loaded at run time, test pipelines). Checked as a whole: unique names, every input
// provided by a raw dataset or a pipeline of the catalogue, no dependency cycle, known alert routes.
import { ALERT_ROUTES } from '../alerts/routes.js';
import { buildParams, paramShape, type ParamContext } from './params.js';
import { ParamError, UnknownPipelineError, type PipelineDefinition } from './types.js';

/** A catalogue that does not hold together (the message names the pipeline and what is wrong). */
export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

const NAME = /^[a-z][a-z0-9-]*$/;
/** Names the workflow ids of Daybreak's own machinery take: no pipeline may be called so. */
const RESERVED = new Set(['daily', 'daybreak', 'daybreak-alerts', 'task-queue']);

export interface Catalogue {
  readonly pipelines: readonly PipelineDefinition[];
  names(): string[];
  has(name: string): boolean;
  /** The definition, or an UnknownPipelineError listing the known names. */
  get(name: string): PipelineDefinition;
  /** Names of the pipelines `name` reads the output of (its upstream in the DAG). */
  upstreamOf(name: string): string[];
  /** Typed parameters of a run (throws ParamError naming the parameter). */
  buildParams(name: string, raw: Record<string, string>, ctx: ParamContext): unknown;
}

/** Pipelines in an order where each comes after the pipelines whose output it reads. */
export function dependencyOrder(pipelines: readonly PipelineDefinition[]): PipelineDefinition[] {
  const byName = new Map(pipelines.map((p) => [p.name, p]));
  const order: PipelineDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: PipelineDefinition, path: string[]) => {
    if (state.get(p.name) === 'done') return;
    if (state.get(p.name) === 'visiting')
      throw new CatalogueError(
        `dependency cycle: ${[...path.slice(path.indexOf(p.name)), p.name].join(' -> ')}`,
      );
    state.set(p.name, 'visiting');
    for (const input of Object.values(p.inputs)) {
      const upstream = input.producer === undefined ? undefined : byName.get(input.producer);
      if (upstream && upstream !== p) visit(upstream, [...path, p.name]);
      if (upstream === p)
        throw new CatalogueError(`dependency cycle: ${p.name} reads its own output ${input.name}`);
    }
    state.set(p.name, 'done');
    order.push(p);
  };
  for (const p of pipelines) visit(p, []);
  return order;
}

/** Throws a CatalogueError for the first problem found. */
export function checkCatalogue(pipelines: readonly PipelineDefinition[]): void {
  const names = new Set<string>();
  const rawPartitioning = new Map<string, string>();
  for (const p of pipelines) {
    if (!NAME.test(p.name) || RESERVED.has(p.name))
      throw new CatalogueError(
        `pipeline name ${JSON.stringify(p.name)} must be kebab-case and not ${[...RESERVED].join(', ')}`,
      );
    if (names.has(p.name)) throw new CatalogueError(`two pipelines are named ${p.name}`);
    names.add(p.name);
    if (p.output.producer !== p.name)
      throw new CatalogueError(
        `${p.name} must write its own dataset curated/${p.name}, not ${p.output.name}`,
      );
    if (!Object.hasOwn(ALERT_ROUTES, p.alerts.route))
      throw new CatalogueError(
        `${p.name}: unknown alert route ${JSON.stringify(p.alerts.route)}; known: ${Object.keys(ALERT_ROUTES).join(', ')}`,
      );
    const shape = paramShape(p.params);
    for (const param of [...Object.keys(p.inputs), 'output']) {
      if (!Object.hasOwn(shape, param))
        throw new CatalogueError(
          `${p.name}: dataset parameter ${JSON.stringify(param)} is not in its params schema`,
        );
    }
    for (const input of Object.values(p.inputs)) {
      if (input.producer !== undefined) continue;
      const form = `${input.partitioned ? 'partitioned' : 'whole'}${input.published ? ', published' : ''}`;
      const seen = rawPartitioning.get(input.name);
      if (seen !== undefined && seen !== form)
        throw new CatalogueError(
          `${input.name} is declared ${seen} by one pipeline and ${form} by ${p.name}`,
        );
      rawPartitioning.set(input.name, form);
    }
  }
  for (const p of pipelines) {
    for (const input of Object.values(p.inputs)) {
      if (input.producer !== undefined && !names.has(input.producer))
        throw new CatalogueError(
          `${p.name} reads ${input.name}, which no pipeline writes (known pipelines: ${[...names].join(', ')})`,
        );
    }
  }
  dependencyOrder(pipelines);
}

/** A checked catalogue of `pipelines`. */
export function makeCatalogue(pipelines: readonly PipelineDefinition[]): Catalogue {
  checkCatalogue(pipelines);
  const byName = new Map(pipelines.map((p) => [p.name, p]));
  const get = (name: string) => {
    const def = byName.get(name);
    if (!def)
      throw new UnknownPipelineError(
        `unknown pipeline ${JSON.stringify(name)}; known: ${[...byName.keys()].join(', ')}`,
      );
    return def;
  };
  return {
    pipelines,
    names: () => [...byName.keys()],
    has: (name) => byName.has(name),
    get,
    upstreamOf: (name) => [
      ...new Set(
        Object.values(get(name).inputs).flatMap((d) => (d.producer !== undefined ? [d.producer] : [])),
      ),
    ],
    buildParams: (name, raw, ctx) => buildParams(get(name), raw, ctx),
  };
}

export { ParamError, UnknownPipelineError };
