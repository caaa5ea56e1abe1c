// The shape of the daily DAG, in code: which pipeline waits for which. Only pipelines present in
// the registry are wired, so a new pipeline joins the DAG by being registered.
import type { PipelineDefinition } from '../lib/pipelines/index.js';
import type { DailyBranch } from '../lib/contracts/daily.js';

/** Dependencies between pipelines (customer features are keyed by the identity model-scoring resolves). */
export const DAG_DEPENDENCIES: Record<string, string[]> = {
  'identity-join': [],
  'session-ranking': [],
  'model-scoring': [],
  'feature-sync': ['model-scoring'],
};

export interface BuildBranchesOptions {
  registry: Record<string, PipelineDefinition>;
  /** `all` or a list of registry names. */
  pipelines: 'all' | string[];
  rawParams?: Record<string, Record<string, string>>;
  /** Sensor inputs per pipeline; `{root}` is replaced here, `{date}` in the workflow. */
  inputs?: Record<string, string[]>;
  dataRoot: string;
  memo?: Record<string, unknown>;
}

/**
 * Branches of the DAG, in DAG order: pipelines of the shape first, then any other registered
 * pipeline (independent). A dependency outside the selection is dropped: nothing to wait for.
 */
export function buildBranches(opts: BuildBranchesOptions): DailyBranch[] {
  const known = Object.keys(opts.registry);
  const wanted = opts.pipelines === 'all' ? known : opts.pipelines;
  for (const name of wanted) {
    if (!opts.registry[name])
      throw new Error(`unknown pipeline ${JSON.stringify(name)}; known: ${known.join(', ')}`);
  }
  for (const name of [...Object.keys(opts.rawParams ?? {}), ...Object.keys(opts.inputs ?? {})]) {
    // Parameters or inputs for a pipeline that is not registered yet wait for it silently.
    if (opts.registry[name] && !wanted.includes(name))
      throw new Error(`parameters or inputs given for ${name}, which this schedule does not run`);
  }
  const ordered = [
    ...Object.keys(DAG_DEPENDENCIES).filter((n) => wanted.includes(n)),
    ...wanted.filter((n) => !(n in DAG_DEPENDENCIES)).sort(),
  ];
  return ordered.map((name) => {
    const def = opts.registry[name]!;
    return {
      pipeline: def.name,
      workflowType: def.workflowType,
      rawParams: opts.rawParams?.[name] ?? {},
      dependsOn: (DAG_DEPENDENCIES[name] ?? []).filter((d) => ordered.includes(d)),
      inputs: (opts.inputs?.[name] ?? []).map((uri) => uri.replaceAll('{root}', opts.dataRoot)),
      memo: opts.memo,
    };
  });
}
