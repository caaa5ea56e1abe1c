// Identity resolution end to end in one process (no Temporal): what `daybreak models
// train|evaluate|blocking` run, and what the tests use to train beside the shipped versions.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Config } from '../../lib/config.js';
import { withDuckDB } from '../../lib/duckdb.js';
import { DEFAULT_RULES, usableRules, type BlockingRule } from '../../lib/identity/blocking.js';
import {
  defaultMaxPairs,
  proposeBlocking,
  type BlockingProposal,
} from '../../lib/identity/blocking-choice.js';
import { usableComparisons, type LocationScheme } from '../../lib/identity/comparisons.js';
import {
  buildCandidates,
  DEFAULT_MAX_BLOCK_SIZE,
  evaluateModel,
  prepareAndBlock,
  type BlockedData,
  type ModelEvaluation,
} from '../../lib/identity/engine.js';
import type { FieldPresence } from '../../lib/identity/fields.js';
import {
  modelComparisons,
  type IdentityModel,
  type Linkage,
  type ModelKind,
} from '../../lib/identity/model.js';
import { prepareRecords, rekeyRecords } from '../../lib/identity/prepare.js';
import { registerModel } from '../../lib/identity/registry.js';
import { runRules } from '../../lib/identity/run-blocking.js';
import { estimateMU, trainModel, type NewModel, type TrainResult } from '../../lib/identity/train.js';
import { resolveDataset, storageFor } from '../../lib/storage/index.js';
import { duckdbOptions } from '../common/deps.js';
import { withScratch } from '../common/scratch.js';
import { checkRecordFiles, loadLabels } from './validate.js';

export interface OfflineData {
  records: string;
  labels?: string;
}

export interface Staged {
  files: string[];
  fields: FieldPresence;
  /** This call's scratch directory (removed after). */
  scratch: string;
}

/** Stages and validates the datasets (labels into table `labels`), then runs `fn`. */
export async function withStaged<T>(
  config: Config,
  data: OfflineData,
  fn: (conn: DuckDBConnection, staged: Staged) => Promise<T>,
): Promise<T> {
  return withScratch(config, 'identity-offline', (scratch) =>
    withDuckDB(duckdbOptions(config, false), async (conn) => {
      const stage = async (spec: string) => {
        const objs = await resolveDataset(spec);
        const local = await Promise.all(objs.map((o) => storageFor(o.uri).stageIn(o.uri, scratch)));
        return { local, names: objs.map((o) => o.uri) };
      };
      const records = await stage(data.records);
      const fields = await checkRecordFiles(conn, records.local, records.names, data.records);
      if (data.labels) {
        const labels = await stage(data.labels);
        await loadLabels(conn, labels.local, labels.names, data.labels);
      }
      return fn(conn, { files: records.local, fields, scratch });
    }),
  );
}

/**
 * Stages and validates the datasets, prepares records and blocks them into `cand` (the legacy
 * rules and comparisons unless given), then runs `fn`.
 */
export async function withCandidates<T>(
  config: Config,
  data: OfflineData,
  fn: (conn: DuckDBConnection, info: BlockedData) => Promise<T>,
  opts: { rules?: BlockingRule[] } = {},
): Promise<T> {
  return withStaged(config, data, async (conn, { files, fields }) => {
    const blocked = await prepareAndBlock(conn, files, {
      fields,
      rules: usableRules(opts.rules ?? DEFAULT_RULES, fields.present),
      comparisons: usableComparisons(modelComparisons({}), fields.present),
    });
    return fn(conn, blocked);
  });
}

export interface TrainRequest extends OfflineData {
  kind: ModelKind;
  description?: string;
  register?: boolean;
  maxPairs?: number;
  maxBlockSize?: number;
  targetPrecision?: number;
  rules?: BlockingRule[];
  /** Default average. */
  linkage?: Linkage;
  /** Default auto (lib/identity/households.ts). */
  location?: LocationScheme | 'auto';
  /** Called with the blocking proposal and the precision/recall curve. */
  onResult?: (result: TrainResult) => void;
}

/** Fits a new model of `kind` (logistic needs labels); registers it unless `register` is false. */
export async function trainIdentityModel(
  config: Config,
  opts: TrainRequest,
): Promise<IdentityModel | NewModel> {
  if (opts.kind === 'logistic' && !opts.labels) throw new Error('training a logistic model needs --labels');
  const result = await withStaged(config, opts, async (conn, { files, fields }) => {
    const maxBlockSize = opts.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE;
    const { records } = await prepareRecords(conn, { files, fields, shards: 1, maxBlockSize, rules: [] });
    return trainModel(conn, {
      kind: opts.kind,
      fields,
      records,
      maxBlockSize,
      labels: opts.labels ? 'labels' : undefined,
      rules: opts.rules,
      maxPairs: opts.maxPairs,
      targetPrecision: opts.targetPrecision,
      description: opts.description,
      linkage: opts.linkage,
      location: opts.location,
      data: { records: opts.records, ...(opts.labels ? { labels: opts.labels } : {}) },
    });
  });
  opts.onResult?.(result);
  return opts.register === false ? result.model : registerModel(config.DAYBREAK_MODELS_DIR, result.model);
}

export interface BlockingRequest extends OfflineData {
  maxPairs?: number;
  maxBlockSize?: number;
}

/** `daybreak models blocking`: every candidate rule's pairs and recall, and the proposed set. */
export async function proposeIdentityBlocking(
  config: Config,
  opts: BlockingRequest,
): Promise<BlockingProposal & { records: number; fields: FieldPresence }> {
  return withStaged(config, opts, async (conn, { files, fields }) => {
    const maxBlockSize = opts.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE;
    const { records } = await prepareRecords(conn, { files, fields, shards: 1, maxBlockSize, rules: [] });
    const estimate = opts.labels ? undefined : await estimateMU(conn, fields.present, { maxBlockSize });
    const proposal = await proposeBlocking(conn, {
      present: fields.present,
      maxPairs: opts.maxPairs ?? defaultMaxPairs(records),
      maxBlockSize,
      labels: opts.labels ? 'labels' : undefined,
      estimate,
    });
    return { ...proposal, records, fields };
  });
}

export interface IdentityEvaluation extends ModelEvaluation {
  /** The model's blocking rules used on these records, and its comparisons scored. */
  rules: string[];
  comparisons: string[];
  candidates: number;
}

/** Evaluates models on labelled data, each with its own blocking rules (as a run would). */
export async function evaluateIdentityModels(
  config: Config,
  data: Required<OfflineData>,
  models: IdentityModel[],
  opts: { maxBlockSize?: number } = {},
): Promise<IdentityEvaluation[]> {
  return withStaged(config, data, async (conn, { files, fields }) => {
    const maxBlockSize = opts.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE;
    const { records } = await prepareRecords(conn, { files, fields, shards: 1, maxBlockSize, rules: [] });
    const out: IdentityEvaluation[] = [];
    let keyed: string | undefined;
    let candidates = 0;
    for (const m of models) {
      const { rules } = await runRules(conn, m, { present: fields.present, records, maxBlockSize });
      const comparisons = usableComparisons(modelComparisons(m), fields.present);
      const key = JSON.stringify({ rules, comparisons: comparisons.map((c) => c.name) });
      if (key !== keyed) {
        await rekeyRecords(conn, { rules, maxBlockSize });
        candidates = await buildCandidates(conn, { shard: 0, shards: 1, out: 'cand', rules, comparisons });
        keyed = key;
      }
      const e = await evaluateModel(conn, m, 'labels', { usable: comparisons });
      out.push({
        ...e,
        rules: rules.map((r) => r.name),
        comparisons: comparisons.map((c) => c.name),
        candidates,
      });
    }
    return out;
  });
}
