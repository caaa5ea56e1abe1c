// identity-join: the daily DS1 (visitor events) x DS2 (LiveRamp) join (DESIGN 3.1).
import { curatedOutput, rawDataset } from '../paths.js';
import { checkKnownParams, intParam, ParamError, type PipelineDefinition } from './types.js';

export interface IdentityJoinParams {
  /** DS1 root (its `dt=<run date>` partition is read), an explicit `dt=` folder, or a glob. */
  ds1: string;
  /** DS2 (LiveRamp: visitor_id, lvr_id, pii, ip): file, directory, glob or gs:// URI. */
  ds2: string;
  /** DS1 columns to keep; omitted means all. */
  columns?: string[];
  /** Output prefix (published with a _SUCCESS manifest). */
  output: string;
  /** Target size of an output file. */
  targetFileMB: number;
  /** visitor_id buckets; omitted means automatic from DS2's size and the DuckDB memory limit. */
  shards?: number;
}

/** Dataset names under <root>/raw (the daily schedule's sensor waits for the DS1 partition). */
export const DS1_DATASET = 'visitor_events';
export const DS2_DATASET = 'liveramp';

/** Columns the join adds; a DS1 column of the same name would be ambiguous in the output. */
export const ADDED_COLUMNS = ['lvr_id', 'sha2'] as const;

export function parseColumns(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const columns = value.split(',').map((c) => c.trim());
  if (columns.some((c) => c === '')) {
    throw new ParamError(
      `parameter columns must be a comma-separated list of DS1 columns; got ${JSON.stringify(value)}`,
    );
  }
  const clash = columns.filter((c) => (ADDED_COLUMNS as readonly string[]).includes(c));
  if (clash.length) {
    throw new ParamError(`parameter columns must not name ${clash.join(', ')}: the join adds those columns`);
  }
  return [...new Set(columns)];
}

export const identityJoin: PipelineDefinition<IdentityJoinParams> = {
  name: 'identity-join',
  workflowType: 'identityJoin',
  description: 'Daily DS1 x LiveRamp join on visitor_id, PII hashed to sha2 before the join',
  params: {
    ds1: 'DS1 root (reads its dt=<date> partition), a dt= folder or a glob; default <root>/raw/visitor_events',
    ds2: 'DS2 (visitor_id, lvr_id, pii, ip) Parquet; default <root>/raw/liveramp',
    columns: 'comma-separated DS1 columns to keep; default all',
    output: 'output prefix; default <root>/curated/identity-join/dt=<date>',
    targetFileMB: 'target output file size in MB; default 128',
    shards: 'visitor_id buckets; default automatic from the DS2 size and DAYBREAK_DUCKDB_MEMORY_LIMIT',
  },
  buildParams(raw, { config, runDate }) {
    checkKnownParams(this, raw);
    return {
      ds1: raw.ds1 ?? rawDataset(config.DAYBREAK_DATA_ROOT, DS1_DATASET),
      ds2: raw.ds2 ?? rawDataset(config.DAYBREAK_DATA_ROOT, DS2_DATASET),
      columns: parseColumns(raw.columns),
      output: raw.output ?? curatedOutput(config.DAYBREAK_DATA_ROOT, 'identity-join', runDate),
      targetFileMB: intParam(raw, 'targetFileMB', 128)!,
      shards: intParam(raw, 'shards'),
    };
  },
};
