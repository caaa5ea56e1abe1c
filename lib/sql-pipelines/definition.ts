// A SQL pipeline as it travels in a run's input: everything the generic workflow needs to run it
// (the query, its inputs, mode and checks) and the file's digest, so the Web UI's Input shows
// exactly which SQL ran and a worker needs no copy of the file. Type-only for workflows.
import type { Checks } from '../quality/checks.js';
import type { SqlMode } from './header.js';

export interface SqlPipelineDefinition {
  /** `<name>` of `pipelines/<name>.sql`. */
  name: string;
  /** The file as the user knows it (relative to the working directory when inside it). */
  file: string;
  /** SHA-256 of the file's text. */
  digest: string;
  description: string;
  owner: string;
  /** View name -> dataset: another pipeline's name or a path under the data root (`raw/x`). */
  inputs: Record<string, string>;
  mode: SqlMode;
  /** mode shuffle: the column every input is split by. */
  shardBy?: string;
  checks?: Checks;
  /** Output columns masked in failure samples besides the usual PII names. */
  pii?: string[];
  /** The query (one SELECT), without a trailing semicolon. */
  sql: string;
  /** File line of the query's first line (DuckDB's LINE n is relative to it). */
  sqlLine: number;
}
