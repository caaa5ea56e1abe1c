// The year a session-ranking run ranks: one rule for the workflow (after its map tasks) and the
// single task (activities/session-ranking), so both plans rank the same year.

/**
 * The year it was given, else the latest year of a valid session in the data (`dataYears`: one per
 * map task, or the single task's), else the run date's.
 */
export function rankingYear(year: number | undefined, dataYears: number[], runDate: string): number {
  return year ?? (dataYears.length ? Math.max(...dataYears) : Number(runDate.slice(0, 4)));
}
