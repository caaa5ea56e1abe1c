// The id of a pipeline run: `<pipeline>/<YYYY-MM-DD>` (its logical date), so a re-run of a date is
// findable and idempotent. Built and parsed only here. Pure, so workflows and clients share it.

const LOGICAL_DATE_PREFIX = /^\d{4}-\d{2}-\d{2}/;

export function runWorkflowId(pipeline: string, runDate: string): string {
  return `${pipeline}/${runDate}`;
}

/**
 * The pipeline and logical date of a run id; parts it does not have are undefined (ids of
 * Daybreak's own machinery, such as `daybreak-alerts/...`, have no date). A suffix after the date
 * (tests use `<pipeline>/<date>-<tag>`) is ignored.
 */
export function parseRunWorkflowId(workflowId: string | undefined): { pipeline?: string; runDate?: string } {
  if (!workflowId) return {};
  const slash = workflowId.indexOf('/');
  if (slash < 0) return {};
  return {
    pipeline: workflowId.slice(0, slash),
    runDate: LOGICAL_DATE_PREFIX.exec(workflowId.slice(slash + 1))?.[0],
  };
}
