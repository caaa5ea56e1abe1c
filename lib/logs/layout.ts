// Where the per-attempt logs live under the data root (DESIGN 4):
//   _logs/<pipeline>/dt=YYYY-MM-DD/<workflow run id>/<step>-<attempt>.log
// `_` keeps them out of every dataset listing; one folder per run, so a re-run of the date keeps
// the earlier run's logs beside its own.
import { joinUri } from '../storage/uri.js';

export const LOGS_FOLDER = '_logs';

export interface AttemptLogRef {
  pipeline: string;
  runDate: string;
  runId: string;
  step: string;
  attempt: number;
}

/** The logs of every run of a pipeline-date. */
export function dateLogsPrefix(root: string, pipeline: string, runDate: string): string {
  return joinUri(root, LOGS_FOLDER, pipeline, `dt=${runDate}`);
}

export function attemptLogUri(root: string, ref: AttemptLogRef): string {
  return joinUri(
    dateLogsPrefix(root, ref.pipeline, ref.runDate),
    ref.runId,
    `${ref.step}-${ref.attempt}.log`,
  );
}

/** `<step>-<attempt>.log` back into its parts; undefined for any other name. */
export function parseAttemptLogName(name: string): { step: string; attempt: number } | undefined {
  const m = /^(.+)-(\d+)\.log$/.exec(name);
  return m ? { step: m[1]!, attempt: Number(m[2]) } : undefined;
}
