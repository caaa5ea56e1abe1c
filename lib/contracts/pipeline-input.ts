// Input of every pipeline workflow: the logical date and the typed parameters the client built
// from the pipeline's schema. The workflow id is `<pipeline>/<runDate>` (run-id.ts).

export interface PipelineInput<P> {
  runDate: string;
  params: P;
}
