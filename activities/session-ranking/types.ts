// Types exchanged between the session-ranking workflow and its activities (paths, never data).

export const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const;
export type MonthName = (typeof MONTHS)[number];
export type MonthRanking = Record<MonthName, string[]>;

export interface SessionRankingPlan {
  /** Activity files split into groups of similar size, one map task each. */
  mapGroups: string[][];
  profileFiles: string[];
  buckets: number;
  /** Where intermediate files go (under the output prefix; removed when it is published). */
  workUri: string;
  inputBytes: number;
}

export interface MapResult {
  inputRows: number;
  rejectedRows: number;
  maxYear?: number;
  partials: string[];
}

export interface SessionRankingResult {
  ranking: MonthRanking;
  year: number;
  inputRows: number;
  rejectedRows: number;
  output: string;
  shards: number;
  durationMs: number;
}
