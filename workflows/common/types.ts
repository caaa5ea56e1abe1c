// Types shared by workflows, the activities they call and the clients that start them.
// Type-only: nothing here runs, so workflows may import it freely.

/** Input of every pipeline workflow. The workflow id is `<pipeline>/<runDate>`. */
export interface PipelineInput<P> {
  runDate: string;
  params: P;
}

/** Progress a workflow exposes through the `progress` query (CLI progress bars, status). */
export interface RunProgress {
  phase: string;
  shardsDone: number;
  shardsTotal: number;
  rows: number;
}
