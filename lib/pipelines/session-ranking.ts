// session-ranking: top N expert users per month by total session time (DESIGN 3.2).
import { curatedOutput, rawDataset } from '../paths.js';
import { checkKnownParams, intParam, ParamError, type PipelineDefinition } from './types.js';

/** Each shard is one reduce activity: more than this is a typo, not a plan. */
export const MAX_SHARDS = 256;

export interface SessionRankingParams {
  /** user_activity dataset: file, directory, glob or gs:// URI. */
  activity: string;
  /** user_profile dataset. */
  profile: string;
  /** Calendar year to rank; omitted means the year of the latest session in the data. */
  year?: number;
  top: number;
  /** Output prefix (published with a _SUCCESS manifest). */
  output: string;
  /** Number of id buckets; omitted means automatic from the input size. */
  shards?: number;
  /**
   * Whether the expert ids get a step of their own (written once, read by every map) instead of
   * each map query deriving them from the profile; `auto` (also when unset, as in runs started
   * before the parameter existed) decides by the profile's size.
   */
  expertsStep?: ExpertsStepMode;
}

export const EXPERTS_STEP_MODES = ['auto', 'always', 'never'] as const;
export type ExpertsStepMode = (typeof EXPERTS_STEP_MODES)[number];

export const sessionRanking: PipelineDefinition<SessionRankingParams> = {
  name: 'session-ranking',
  workflowType: 'sessionRanking',
  description: 'Top N expert users per month by total session time',
  params: {
    activity: 'user_activity Parquet (file, dir, glob or gs:// URI); default <root>/raw/user_activity',
    profile: 'user_profile Parquet; default <root>/raw/user_profile',
    year: 'year to rank; default the latest year in the data',
    top: 'users per month; default 10',
    output: 'output prefix; default <root>/curated/session-ranking/dt=<date>',
    shards: 'id buckets; default automatic from the input size',
    expertsStep:
      'auto (default: a separate experts step only for a profile over 64 MB), always, or never (each map reads the profile)',
  },
  buildParams(raw, { config, runDate }) {
    checkKnownParams(this, raw);
    const year = intParam(raw, 'year');
    if (year !== undefined && (year < 1900 || year > 9999)) {
      throw new ParamError(`parameter year must be a four-digit year; got ${year}`);
    }
    const shards = intParam(raw, 'shards');
    if (shards !== undefined && shards > MAX_SHARDS) {
      throw new ParamError(
        `parameter shards must be at most ${MAX_SHARDS} (one reduce task each); got ${shards}`,
      );
    }
    const expertsStep = (raw.expertsStep ?? 'auto') as ExpertsStepMode;
    if (!EXPERTS_STEP_MODES.includes(expertsStep)) {
      throw new ParamError(
        `parameter expertsStep must be one of ${EXPERTS_STEP_MODES.join(', ')}; got ${raw.expertsStep}`,
      );
    }
    return {
      activity: raw.activity ?? rawDataset(config.DAYBREAK_DATA_ROOT, 'user_activity'),
      profile: raw.profile ?? rawDataset(config.DAYBREAK_DATA_ROOT, 'user_profile'),
      year,
      top: intParam(raw, 'top', 10)!,
      output: raw.output ?? curatedOutput(config.DAYBREAK_DATA_ROOT, 'session-ranking', runDate),
      shards,
      expertsStep,
    };
  },
};
