// Intermediate files of a run live under `<output>/_work/<runId>`: visible to every worker (same
// storage as the output), private to the run, and removed when the run commits or aborts its
// output (lib/storage/publish.ts).
import { workPrefix } from '../../lib/storage/publish.js';
import { currentRun } from './output.js';

export function runWorkUri(output: string): string {
  return workPrefix(output, currentRun().runId);
}
