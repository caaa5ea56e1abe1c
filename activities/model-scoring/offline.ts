// Identity resolution end to end in one process (no Temporal): what `daybreak models train` and
// `daybreak models evaluate` run, and what the tests use to train beside the shipped versions.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Config } from '../../lib/config.js';
import { withDuckDB } from '../../lib/duckdb.js';
import {
  candidatePatterns,
  evaluateModel,
  prepareAndBlock,
  type ModelEvaluation,
} from '../../lib/identity/engine.js';
import type { IdentityModel, ModelKind } from '../../lib/identity/model.js';
import { registerModel } from '../../lib/identity/registry.js';
import { trainFromPatterns, type NewModel } from '../../lib/identity/train.js';
import { resolveDataset, storageFor } from '../../lib/storage/index.js';
import { duckdbOptions } from '../common/deps.js';
import { withScratch } from '../common/scratch.js';
import { checkRecordFiles, loadLabels } from './validate.js';

export interface OfflineData {
  records: string;
  labels?: string;
}

/** Stages and validates the datasets, prepares records and blocks them into `cand`, then runs `fn`. */
export async function withCandidates<T>(
  config: Config,
  data: OfflineData,
  fn: (conn: DuckDBConnection, info: { candidates: number }) => Promise<T>,
): Promise<T> {
  return withScratch(config, 'identity-offline', (scratch) =>
    withDuckDB(duckdbOptions(config, false), async (conn) => {
      const stage = async (spec: string) => {
        const objs = await resolveDataset(spec);
        const local = await Promise.all(objs.map((o) => storageFor(o.uri).stageIn(o.uri, scratch)));
        return { local, names: objs.map((o) => o.uri) };
      };
      const records = await stage(data.records);
      await checkRecordFiles(conn, records.local, records.names, data.records);
      if (data.labels) {
        const labels = await stage(data.labels);
        await loadLabels(conn, labels.local, labels.names, data.labels);
      }
      const candidates = await prepareAndBlock(conn, records.local);
      return fn(conn, { candidates });
    }),
  );
}

/** Fits a new model of `kind` (logistic needs labels); registers it unless `register` is false. */
export async function trainIdentityModel(
  config: Config,
  opts: OfflineData & { kind: ModelKind; description?: string; register?: boolean },
): Promise<IdentityModel | NewModel> {
  if (opts.kind === 'logistic' && !opts.labels) throw new Error('training a logistic model needs --labels');
  const model = await withCandidates(config, opts, async (conn, { candidates }) => {
    const patterns = await candidatePatterns(conn, opts.kind === 'logistic' ? 'labels' : undefined);
    return trainFromPatterns(opts.kind, patterns, {
      description: opts.description,
      data: { records: opts.records, candidates },
    });
  });
  return opts.register === false ? model : registerModel(config.DAYBREAK_MODELS_DIR, model);
}

/** Evaluates models on labelled data (same candidates for all). */
export async function evaluateIdentityModels(
  config: Config,
  data: Required<OfflineData>,
  models: IdentityModel[],
): Promise<ModelEvaluation[]> {
  return withCandidates(config, data, async (conn) => {
    const out: ModelEvaluation[] = [];
    for (const m of models) out.push(await evaluateModel(conn, m, 'labels'));
    return out;
  });
}
