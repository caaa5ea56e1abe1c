// Where an activity attempt's log is found (DESIGN 4, "Logs per attempt"): a run's steps are
// named `<activityType>.<activityId>` (the activity id is the workflow's sequence number unless
// the workflow chose one), one log per attempt. Named only here; pure, so the workflow interceptor
// that puts the command into each activity's summary, the worker that writes the logs, the alerts
// and the CLI agree.

/** A run's step: `sessionRankingMap.5`. Characters a file or object name would mangle become `_`. */
export function attemptLogStep(activityType: string, activityId: string): string {
  return `${activityType}.${activityId}`.replace(/[^\w.-]/g, '_');
}

/** The command that prints a step's log (its last attempt unless `attempt` is given). */
export function logsCommandLine(pipeline: string, runDate: string, step?: string, attempt?: number): string {
  return [
    `daybreak logs ${pipeline} --date ${runDate}`,
    step === undefined ? '' : ` --step ${step}`,
    attempt === undefined ? '' : ` --attempt ${attempt}`,
  ].join('');
}
