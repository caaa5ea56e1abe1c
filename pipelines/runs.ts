// Starting a run of a catalogue pipeline from a client (CLI, tests, benches): parameters built
// from its schema, id `<pipeline>/<date>`, search attributes, its alert route.
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import { runWorkflowId } from '../lib/contracts/run-id.js';
import { runSearchAttributes } from '../lib/contracts/search-attributes.js';
import { PIPELINES, type Catalogue } from './index.js';

export interface StartRunOptions {
  client: Client;
  config: Config;
  pipeline: string;
  runDate: string;
  rawParams?: Record<string, string>;
  taskQueue?: string;
  /** Default: the product catalogue. */
  catalogue?: Catalogue;
}

/** Starts `<pipeline>/<date>`. A finished run of the same date is replaced by a new run (re-run). */
export async function startRun(opts: StartRunOptions): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const catalogue = opts.catalogue ?? PIPELINES;
  const def = catalogue.get(opts.pipeline);
  const params = catalogue.buildParams(def.name, opts.rawParams ?? {}, {
    config: opts.config,
    runDate: opts.runDate,
  });
  return opts.client.workflow.start(def.workflow, {
    taskQueue: opts.taskQueue ?? opts.config.DAYBREAK_TASK_QUEUE,
    workflowId: runWorkflowId(def.name, opts.runDate),
    args: [{ runDate: opts.runDate, params }],
    typedSearchAttributes: runSearchAttributes(def.name, opts.runDate),
    memo: { alertRoute: def.alerts.route },
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}
