// The DAG of a schedule, derived from the datasets the pipelines declare: a pipeline runs after
// the pipelines whose output it reads. A schedule may run any subset of the catalogue: an upstream
// outside the subset becomes a sensor on its output's `_SUCCESS` for the logical date, and so does
// a raw input whose upstream export publishes one. Built client-side: the daily workflow gets the
// branches in its input and imports no catalogue.
import type { DailyBranch } from '../lib/contracts/daily.js';
import type { Dataset } from '../lib/datasets.js';
import { CatalogueError, dependencyOrder, type Catalogue } from './catalogue.js';

/** `{date}` in a sensor URI becomes the logical date in the workflow. */
export const DATE_PLACEHOLDER = '{date}';

export interface BuildBranchesOptions {
  catalogue: Catalogue;
  /** `all` or a list of catalogue names. */
  pipelines: 'all' | readonly string[];
  /** Operator parameters per pipeline (`{date}` is replaced in the workflow). */
  rawParams?: Record<string, Record<string, string>>;
  /** Extra sensor inputs per pipeline beyond the declared datasets; `{root}` is replaced here. */
  inputs?: Record<string, readonly string[]>;
  dataRoot: string;
  memo?: Record<string, unknown>;
}

/** What a branch waits for before it starts: why (for messages and docs) and the URI. */
export interface Sensor {
  pipeline: string;
  dataset: string;
  reason: 'upstream outside the schedule' | 'published raw input' | 'schedule input';
  uri: string;
}

/** The sensors of `name` when the schedule runs `selected`: declared inputs nobody in it provides. */
export function sensorsOf(
  catalogue: Catalogue,
  name: string,
  selected: ReadonlySet<string>,
  dataRoot: string,
): Sensor[] {
  const sensors: Sensor[] = [];
  const add = (dataset: Dataset, reason: Sensor['reason']) => {
    const uri = dataset.uri(dataRoot, DATE_PLACEHOLDER);
    if (!sensors.some((s) => s.uri === uri))
      sensors.push({ pipeline: name, dataset: dataset.name, reason, uri });
  };
  for (const input of Object.values(catalogue.get(name).inputs)) {
    if (input.producer !== undefined) {
      if (!selected.has(input.producer)) add(input, 'upstream outside the schedule');
    } else if (input.published) add(input, 'published raw input');
  }
  return sensors;
}

/**
 * The branches of a schedule, in dependency order. Rejects, naming it: an unknown pipeline, and
 * parameters or inputs for a pipeline the schedule does not run.
 */
export function buildBranches(opts: BuildBranchesOptions): DailyBranch[] {
  const { catalogue } = opts;
  const wanted = opts.pipelines === 'all' ? catalogue.names() : [...opts.pipelines];
  for (const name of wanted) catalogue.get(name);
  if (new Set(wanted).size !== wanted.length) throw new CatalogueError('a pipeline is listed twice');
  const selected = new Set(wanted);
  for (const [what, byPipeline] of [
    ['parameters', opts.rawParams],
    ['inputs', opts.inputs],
  ] as const) {
    for (const name of Object.keys(byPipeline ?? {})) {
      if (!selected.has(name))
        throw new CatalogueError(
          `${what} given for ${name}, which this schedule does not run (it runs ${wanted.join(', ')})`,
        );
    }
  }
  const ordered = dependencyOrder(catalogue.pipelines).filter((p) => selected.has(p.name));
  return ordered.map((def) => ({
    pipeline: def.name,
    workflowType: def.workflow.name,
    rawParams: opts.rawParams?.[def.name] ?? {},
    dependsOn: catalogue.upstreamOf(def.name).filter((u) => selected.has(u)),
    inputs: [
      ...sensorsOf(catalogue, def.name, selected, opts.dataRoot).map((s) => ({
        uri: s.uri,
        dataset: s.dataset,
      })),
      ...(opts.inputs?.[def.name] ?? []).map((uri) => uri.replaceAll('{root}', opts.dataRoot)),
    ],
    memo: { ...opts.memo, ...(def.alerts.slaSeconds ? { slaSeconds: def.alerts.slaSeconds } : {}) },
    ...(def.sql ? { sql: def.sql } : {}),
  }));
}
