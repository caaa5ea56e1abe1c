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
  /**
   * Activity files split into groups of similar size, one map task each; each group split into
   * batches, one query each (and the unit a retried map resumes from).
   */
  mapGroups: string[][][];
  /** Map output as a folder per bucket (many buckets) or one file per batch (few). */
  partitioned: boolean;
  profileFiles: string[];
  buckets: number;
  /** Run the experts step (a large profile) instead of each map query reading the profile. */
  expertsStep?: boolean;
  /** A small input with no shards asked for: the whole run in one task (rankAndPublishSessions). */
  singleTask?: boolean;
  /** Where intermediate files go (under the output prefix; removed when it is published). */
  workUri: string;
  inputBytes: number;
}

/** Profile files from which a query derives the expert ids and their bucket among `buckets`. */
export interface ProfileExperts {
  profileFiles: string[];
  buckets: number;
}

/**
 * What a map joins its sessions with: the profile files (it derives the expert ids and their
 * buckets itself), or, with an experts step, the URI of that step's file.
 */
export type MapExperts = ProfileExperts | string;

export interface SessionRankingReport {
  inputRows: number;
  rejectedRows: number;
  year: number;
  shards: number;
  mapTasks: number;
  inputBytes: number;
  /** Files a retried map attempt did not redo. */
  filesResumed: number;
  /** Whether the expert ids had a step of their own (see the expertsStep parameter). */
  expertsStep: boolean;
  /** The whole run was one task (a small input with no shards asked for). */
  singleTask?: boolean;
}

/** What the single task (rankAndPublishSessions) found and published. */
export interface SingleTaskResult {
  ranking: MonthRanking;
  inputRows: number;
  rejectedRows: number;
  year: number;
}

export interface MapResult {
  inputRows: number;
  rejectedRows: number;
  /** Latest year of a valid session (any user) in the group's files. */
  maxYear?: number;
  /** Files skipped because a previous attempt had finished them (resume from heartbeat). */
  filesResumed: number;
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
