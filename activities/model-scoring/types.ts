// Types shared by the model-scoring workflow and its activities (type-only for the workflow).
import type { BlockingRule } from '../../lib/identity/blocking.js';
import type { FieldPresence } from '../../lib/identity/fields.js';
import type { IdentityModel, Linkage } from '../../lib/identity/model.js';
import type { RunBlocking } from '../../lib/identity/run-blocking.js';
import type { ClusterMetrics, PairwiseMetrics } from '../../lib/identity/metrics.js';
import type { StagedFile } from '../../lib/storage/publish.js';

export interface ModelScoringPlan {
  recordFiles: string[];
  labelFiles: string[];
  shards: number;
  workUri: string;
  champion: IdentityModel;
  challenger?: IdentityModel;
  /** Champion threshold (the parameter, else the model's). */
  threshold: number;
  inputBytes: number;
}

export interface PreparedRecords {
  records: number;
  /** One normalized-records file per shard (rows with a blocking key in that shard). */
  prepFiles: string[];
  /** Every record_id: the nodes of the identity graph. */
  idsFile: string;
  /** (record, rule) keys dropped because their block exceeded maxBlockSize. */
  cappedKeys: number;
  /** The comparable fields the records have. */
  fields: FieldPresence;
  /** The champion's blocking rules that apply to those fields. */
  rules: BlockingRule[];
  /** The champion's rules left out: they need an absent field. */
  rulesLeftOut: string[];
  /** Present when the champion chose the rules on these records: its budget and estimate. */
  rulesChosen?: RunBlocking['chosen'];
  /** Comparison names of either model whose fields are present. */
  comparisons: string[];
  /** Per model version, its comparisons scored on these records. */
  comparisonsByModel: Record<string, string[]>;
}

export interface ShardResult {
  shard: number;
  candidates: number;
  /** Champion pairs at or above threshold. */
  matched: number;
  challengerMatched?: number;
  pairsFile: StagedFile;
  challengerPairsFile?: StagedFile;
  /** All candidate pairs with both scores (only when labels are given, for evaluation). */
  scoredUri?: string;
  /** Champion (challenger) pairs below its threshold, when its linkage is average: for the link step. */
  weakPairsUri?: string;
  challengerWeakPairsUri?: string;
  /** Pairs per blocking rule (first rule owning the pair). */
  byRule: Record<string, number>;
}

/** How a run named its identities (lib/identity/identity-ids.ts). */
export interface IdentityIdsReport {
  /** The date whose published clusters the ids came from; undefined: none (every id is new). */
  previous?: string;
  /** Identities that kept yesterday's id. */
  kept: number;
  /** Identities with an id minted by this run. */
  minted: number;
  /** Yesterday's identities merged into another by this run (aliases added). */
  merged: number;
  /** Rows of the published alias table (carried forward and new). */
  aliases: number;
}

export interface LinkResult {
  file: StagedFile;
  /** The alias table (old_identity_id, identity_id, merged_on). */
  aliasesFile: StagedFile;
  identities: IdentityIdsReport;
  clusters: number;
  singletons: number;
  largest: number;
  iterations: number;
  linkage: Linkage;
  /** Average linkage: connected components it split into several identities. */
  splitComponents: number;
}

export interface ModelReport {
  version: string;
  kind: string;
  threshold: number;
  /** The model's comparisons scored on these records (the others' fields are absent). */
  comparisonsUsed: string[];
  matchedPairs: number;
  clusters: number;
  singletons: number;
  largestCluster: number;
  /** How matches were linked (the model's linkage), and how many components average linkage split. */
  linkage: Linkage;
  splitComponents: number;
  identities: IdentityIdsReport;
  pairwise?: PairwiseMetrics;
  clusterMetrics?: ClusterMetrics;
}

export interface ModelScoringResult {
  runDate: string;
  output: string;
  records: number;
  shards: number;
  candidates: number;
  candidatesByRule: Record<string, number>;
  /** Comparable fields used, and those left out (no column, or only nulls and blanks). */
  fields: { used: string[]; absent: string[]; empty: string[] };
  /** Blocking rules the run used (the champion's), and those left out for an absent field. */
  blockingRules: { used: string[]; leftOut: string[]; chosen?: RunBlocking['chosen'] };
  /** Share of true pairs among candidates; only with labels. */
  blockingRecall?: number;
  cappedKeys: number;
  champion: ModelReport;
  challenger?: ModelReport;
  durationMs: number;
}
