// Activities of model-scoring: plan (inputs, models, shards) -> prepare (normalize records, keys,
// one file per shard) -> score shards (blocking + comparisons + champion/challenger scores) ->
// link (connected components, per model) -> evaluate (with labels) -> publish (manifest).
import path from 'node:path';
import { sqlFileList, sqlString } from '../../lib/duckdb.js';
import { badInput } from '../../lib/errors.js';
import { shardPairsSql, type BlockingRule } from '../../lib/identity/blocking.js';
import {
  comparisonByName,
  comparisonColumns,
  comparisonColumnsSql,
  shardColumnSql,
  unionComparisons,
  usableComparisons,
  type Comparison,
} from '../../lib/identity/comparisons.js';
import { shardPrepTable } from '../../lib/identity/engine.js';
import { linkRecords } from '../../lib/identity/link.js';
import { assignIdentityIds } from '../../lib/identity/identity-ids.js';
import { clusterMetrics, pairwiseMetrics } from '../../lib/identity/metrics.js';
import {
  ModelError,
  modelComparisons,
  modelLinkage,
  scoredComparisons,
  scoreSql,
  type IdentityModel,
} from '../../lib/identity/model.js';
import { NoBlockingRules, prepareForModel } from '../../lib/identity/run-blocking.js';
import { loadModel } from '../../lib/identity/registry.js';
import { autoShards } from '../../lib/shards.js';
import type { ModelScoringParams } from '../../pipelines/model-scoring.js';
import { joinUri, resolveDataset, storageFor } from '../../lib/storage/index.js';
import { runWorkUri } from '../common/work.js';
import { commitOutput, openRunOutput, putOutputFile, type StagedFile } from '../common/output.js';
import type { ActivityDeps } from '../common/deps.js';
import type { LinkResult, ModelReport, ModelScoringPlan, PreparedRecords, ShardResult } from './types.js';
import { checkRecordFiles, loadLabels } from './validate.js';
import { withDuckDBTask, type DuckDBTask } from '../common/task.js';
import { stageAll } from '../common/staging.js';
import { previousIdentities } from './previous.js';

export * from './types.js';

// Every shard loads each record with a key in it: with five keys per record, nearly all of them.
// More shards than the data needs only add loading work, so the default splits by size alone.
const TARGET_BYTES_PER_SHARD = 64 * 1024 * 1024;
/** Below lib/shards.ts's cap: past 64 shards the loading work outweighs the parallelism. */
const MAX_AUTO_SHARDS = 64;

const pad = (n: number) => String(n).padStart(5, '0');

/** Where a model's outputs go: the champion's at the top, a challenger's under shadow/<version>/. */
export function outputPrefix(role: 'champion' | 'challenger', model: IdentityModel): string {
  return role === 'champion' ? '' : `shadow/${model.version}/`;
}

/** The comparisons both models read, restricted to the fields present. */
function usableFor(
  models: (IdentityModel | undefined)[],
  present: PreparedRecords['fields']['present'],
): Comparison[] {
  const all = unionComparisons(...models.filter((m) => m !== undefined).map((m) => modelComparisons(m)));
  return usableComparisons(all, present);
}

export function createModelScoringActivities({ config }: ActivityDeps) {
  const model = async (version: string, param: string) => {
    try {
      return await loadModel(config.DAYBREAK_MODELS_DIR, version);
    } catch (err) {
      if (err instanceof ModelError) throw badInput(`parameter ${param}: ${err.message}`);
      throw err;
    }
  };

  return {
    async planModelScoring(params: ModelScoringParams): Promise<ModelScoringPlan> {
      const champion = await model(params.model, 'model');
      const challenger = params.challenger ? await model(params.challenger, 'challenger') : undefined;
      const records = await resolveDataset(params.records);
      if (records.length === 0) throw badInput(`no customer record Parquet files found at ${params.records}`);
      const labels = params.labels ? await resolveDataset(params.labels) : [];
      if (params.labels && labels.length === 0)
        throw badInput(`no label Parquet files found at ${params.labels}`);
      const inputBytes = records.reduce((s, f) => s + f.size, 0);
      const shards = params.shards ?? autoShards(inputBytes, TARGET_BYTES_PER_SHARD, MAX_AUTO_SHARDS);
      const workUri = runWorkUri(params.output);
      await openRunOutput(config, params.output, [params.records, ...(params.labels ? [params.labels] : [])]);
      return {
        recordFiles: records.map((f) => f.uri),
        labelFiles: labels.map((f) => f.uri),
        shards,
        workUri,
        champion,
        challenger,
        threshold: params.threshold ?? champion.threshold,
        inputBytes,
      };
    },

    /** Validates and normalizes the records; writes one prep file per shard and the id list. */
    async prepareIdentityRecords(input: {
      dataset: string;
      recordFiles: string[];
      shards: number;
      maxBlockSize: number;
      workUri: string;
      champion: IdentityModel;
      challenger?: IdentityModel;
      /** Checked here, before any scoring, so bad labels fail the run at once. */
      labels?: string;
      labelFiles?: string[];
    }): Promise<PreparedRecords> {
      return withDuckDBTask(
        config,
        { label: 'ms-prepare', heartbeat: { status: 'prepare: validating and normalizing records' } },
        async ({ scratch, conn, heartbeat: hb }) => {
          const local = await stageAll(input.recordFiles, scratch);
          const fields = await checkRecordFiles(conn, local, input.recordFiles, input.dataset);
          if (input.labels && input.labelFiles) {
            const labelLocal = await stageAll(input.labelFiles, scratch);
            await loadLabels(conn, labelLocal, input.labelFiles, input.labels);
          }
          // The champion's blocking rules on the fields this data has (rules on an absent field
          // are left out and reported), or the rules a choosing champion picks on these records.
          const comparisons = usableFor([input.champion, input.challenger], fields.present);
          const { records, cappedKeys, rules, leftOut, chosen } = await prepareForModel(
            conn,
            input.champion,
            {
              files: local,
              shards: input.shards,
              maxBlockSize: input.maxBlockSize,
              fields,
              onChoosing: (n) =>
                hb.beat({
                  status: `prepare: ${n.toLocaleString('en-US')} records, choosing ${input.champion.version}'s blocking rules`,
                }),
            },
          ).catch((err: unknown) => {
            throw err instanceof NoBlockingRules
              ? badInput(
                  `${err.message} in ${input.dataset}; train a model on these records (daybreak models train) or choose rules with daybreak models blocking`,
                )
              : err;
          });
          // Shard files are uncompressed DuckDB databases: a shard queries the file in place,
          // where loading a Parquet file first cost a sixth of its scoring time, and
          // uncompressed storage writes as fast as Parquet (compressed took 2.4x as long).
          const prepFiles: string[] = [];
          await conn.run(`SET force_compression = 'uncompressed'`);
          for (let s = 0; s < input.shards; s++) {
            hb.beat({
              status: `prepare: ${records.toLocaleString('en-US')} records, writing shard ${s + 1}/${input.shards}`,
            });
            const name = `prep-${pad(s)}.duckdb`;
            const out = path.join(scratch, name);
            const where = rules.map((r) => `s_${r.name} = ${s}`).join(' OR ');
            await conn.run(`ATTACH ${sqlString(out)} AS shard_db`);
            // Only what the shard reads: row ids, the compared columns (hashed where only their
            // equality counts), keys and shards.
            const cols = [
              'rid',
              'record_id',
              ...comparisonColumns(comparisons).map(shardColumnSql),
              ...rules.flatMap((r) => [`k_${r.name}`, `s_${r.name}`]),
            ];
            await conn.run(
              `CREATE TABLE shard_db.prep AS SELECT ${cols.join(', ')} FROM prep WHERE ${where}`,
            );
            await conn.run('DETACH shard_db');
            const target = joinUri(input.workUri, name);
            await storageFor(target).putFile(out, target);
            prepFiles.push(target);
          }
          await conn.run('RESET force_compression');
          const idsOut = path.join(scratch, 'ids.parquet');
          await conn.run(
            `COPY (SELECT record_id FROM prep ORDER BY rid) TO ${sqlString(idsOut)} (FORMAT parquet)`,
          );
          const idsFile = joinUri(input.workUri, 'ids.parquet');
          await storageFor(idsFile).putFile(idsOut, idsFile);
          return {
            records,
            prepFiles,
            idsFile,
            cappedKeys,
            fields,
            rules,
            rulesLeftOut: leftOut,
            ...(chosen ? { rulesChosen: chosen } : {}),
            comparisons: comparisons.map((c) => c.name),
            comparisonsByModel: Object.fromEntries(
              [input.champion, input.challenger]
                .filter((m) => m !== undefined)
                .map((m) => [m.version, scoredComparisons(m, comparisons).map((c) => c.name)]),
            ),
          };
        },
      );
    },

    /** Candidate pairs of one blocking shard, scored by the champion (and challenger). */
    async scoreIdentityShard(input: {
      shard: number;
      /** How many shards the run has (one shard needs no cross-shard owner check). */
      shards: number;
      prepFile: string;
      output: string;
      workUri: string;
      champion: IdentityModel;
      threshold: number;
      challenger?: IdentityModel;
      keepScored: boolean;
      rules: BlockingRule[];
      /** Comparison names to compute: those of both models whose fields are present. */
      comparisons: string[];
      /** Records in the run (a scaling model's prior depends on it). */
      records: number;
    }): Promise<ShardResult> {
      return withDuckDBTask(
        config,
        {
          label: `ms-score-${input.shard}`,
          heartbeat: {
            shard: input.shard,
            status: `shard ${input.shard + 1}: blocking, comparing and scoring`,
          },
        },
        async ({ scratch, conn, heartbeat: hb }: DuckDBTask<Record<string, unknown>>) => {
          const local = await storageFor(input.prepFile).stageIn(input.prepFile, scratch);
          await conn.run(`ATTACH ${sqlString(local)} AS shard_db (READ_ONLY)`);
          const ch = input.challenger;
          const usable = input.comparisons.map((n) => comparisonByName(n)!);
          const prep = await shardPrepTable(conn, 'shard_db.prep', comparisonColumns(usable));
          // One pass: candidate pairs -> comparison levels -> scores, materialized once (the
          // levels themselves are never stored).
          await conn.run(`CREATE TABLE scored AS
              SELECT left_id, right_id, pair, rule, ${scoreSql(input.champion, { usable, records: input.records })} AS score
                ${ch ? `, ${scoreSql(ch, { usable, records: input.records })} AS challenger_score` : ''}
              FROM (${shardPairsSql({ table: prep, shard: input.shard, shards: input.shards, rules: input.rules, cols: comparisonColumnsSql(usable) })})`);
          const byRuleRows = (
            await conn.runAndReadAll('SELECT rule, count(*) FROM scored GROUP BY 1')
          ).getRows();
          const byRule = Object.fromEntries(input.rules.map((r) => [r.name, 0]));
          for (const [rule, n] of byRuleRows) byRule[input.rules[Number(rule)]!.name] = Number(n);
          const candidates = Object.values(byRule).reduce((a, b) => a + b, 0);
          hb.beat({
            shard: input.shard,
            candidates,
            status: `shard ${input.shard + 1}: ${candidates.toLocaleString('en-US')} pairs scored, writing matches`,
          });
          const writePairs = async (
            role: 'champion' | 'challenger',
            m: IdentityModel,
            column: string,
            threshold: number,
          ) => {
            const name = `${outputPrefix(role, m)}pairs/part-${pad(input.shard)}.parquet`;
            const out = path.join(scratch, name.replaceAll('/', '_'));
            // Sorted so a re-run writes byte-identical files: by (left_id, right_id), which is
            // the order of the packed rids (lib/identity/prepare.ts keyRecords).
            const copied = await conn.run(`COPY (
                SELECT left_id, right_id, ${column} AS score, ${sqlString(m.version)} AS model_version
                FROM scored WHERE ${column} >= ${threshold} ORDER BY pair
              ) TO ${sqlString(out)} (FORMAT parquet)`);
            const rows = copied.rowsChanged;
            return { rows, file: await putOutputFile(input.output, out, name, rows) };
          };
          const champ = await writePairs('champion', input.champion, 'score', input.threshold);
          const chal = ch ? await writePairs('challenger', ch, 'challenger_score', ch.threshold) : undefined;
          // Average linkage also weighs the pairs below the threshold inside a component: kept in
          // the run's work prefix for the link step, never published, so written unsorted (the
          // link step groups them by component itself).
          const writeWeakPairs = async (
            role: 'champion' | 'challenger',
            m: IdentityModel,
            column: string,
            threshold: number,
          ) => {
            if (modelLinkage(m) !== 'average') return undefined;
            const name = `weak-${role}-${pad(input.shard)}.parquet`;
            const out = path.join(scratch, name);
            await conn.run(`COPY (
                SELECT left_id, right_id, ${column} AS score FROM scored
                WHERE ${column} < ${threshold}
              ) TO ${sqlString(out)} (FORMAT parquet)`);
            const uri = joinUri(input.workUri, name);
            await storageFor(uri).putFile(out, uri);
            return uri;
          };
          const weak = await writeWeakPairs('champion', input.champion, 'score', input.threshold);
          const challengerWeak = ch
            ? await writeWeakPairs('challenger', ch, 'challenger_score', ch.threshold)
            : undefined;
          let scoredUri: string | undefined;
          if (input.keepScored) {
            const out = path.join(scratch, `scored-${pad(input.shard)}.parquet`);
            await conn.run(
              `COPY (SELECT * EXCLUDE (rule, pair) FROM scored) TO ${sqlString(out)} (FORMAT parquet)`,
            );
            scoredUri = joinUri(input.workUri, `scored-${pad(input.shard)}.parquet`);
            await storageFor(scoredUri).putFile(out, scoredUri);
          }
          return {
            shard: input.shard,
            candidates,
            matched: champ.rows,
            challengerMatched: chal?.rows,
            pairsFile: champ.file,
            challengerPairsFile: chal?.file,
            weakPairsUri: weak,
            challengerWeakPairsUri: challengerWeak,
            scoredUri,
            byRule,
          };
        },
      );
    },

    /**
     * Identity clusters for every record from one model's matched pairs, named with the ids of the
     * previous date's published clusters (lib/identity/identity-ids.ts), and the alias table.
     */
    async linkIdentities(input: {
      role: 'champion' | 'challenger';
      model: IdentityModel;
      idsFile: string;
      pairFiles: string[];
      /** The model's pairs below `threshold` (average linkage only), in the run's work prefix. */
      weakPairFiles?: string[];
      threshold: number;
      output: string;
      runDate: string;
    }): Promise<LinkResult> {
      return withDuckDBTask(
        config,
        {
          label: `ms-link-${input.role}`,
          heartbeat: { status: `link: ${input.role} ${input.model.version} connected components` },
        },
        async ({ scratch, conn }) => {
          const ids = await storageFor(input.idsFile).stageIn(input.idsFile, scratch);
          const pairs = await stageAll(
            input.pairFiles.map((f) => joinUri(input.output, f)),
            scratch,
          );
          const weak = input.weakPairFiles?.length ? await stageAll(input.weakPairFiles, scratch) : [];
          const linkage = modelLinkage(input.model);
          const { iterations, splitComponents } = await linkRecords(conn, {
            nodes: `SELECT record_id FROM read_parquet(${sqlString(ids)})`,
            pairs: [pairs, weak]
              .filter((files) => files.length > 0)
              .map((files) => `SELECT left_id, right_id, score FROM read_parquet(${sqlFileList(files)})`)
              .join(' UNION ALL '),
            threshold: input.threshold,
            linkage,
            out: 'components',
          });
          const prefix = outputPrefix(input.role, input.model);
          const previous = await previousIdentities(input.output, input.runDate, prefix, scratch);
          const assigned = await assignIdentityIds(conn, {
            clusters: 'SELECT record_id, identity_id AS cluster FROM components',
            previous: previous?.clusters,
            previousAliases: previous?.aliases,
            runDate: input.runDate,
            out: 'clusters',
            aliasesOut: 'aliases',
          });
          const out = path.join(scratch, 'clusters.parquet');
          await conn.run(
            `COPY (SELECT record_id, identity_id FROM clusters ORDER BY record_id) TO ${sqlString(out)} (FORMAT parquet)`,
          );
          const aliasesOut = path.join(scratch, 'aliases.parquet');
          await conn.run(
            `COPY (SELECT old_identity_id, identity_id, merged_on FROM aliases ORDER BY old_identity_id) TO ${sqlString(aliasesOut)} (FORMAT parquet)`,
          );
          const stats = (
            await conn.runAndReadAll(
              `SELECT count(*) AS clusters, count(*) FILTER (WHERE n = 1) AS singletons, max(n) AS largest, sum(n) AS records
                 FROM (SELECT identity_id, count(*) AS n FROM clusters GROUP BY 1)`,
            )
          ).getRowObjects()[0]!;
          const file = await putOutputFile(
            input.output,
            out,
            `${prefix}clusters/part-00000.parquet`,
            Number(stats.records),
          );
          const aliasesFile = await putOutputFile(
            input.output,
            aliasesOut,
            `${prefix}aliases/part-00000.parquet`,
            assigned.aliases,
          );
          return {
            file,
            aliasesFile,
            clusters: Number(stats.clusters),
            singletons: Number(stats.singletons),
            largest: Number(stats.largest),
            iterations,
            linkage,
            splitComponents,
            identities: { ...assigned, previous: previous?.runDate },
          };
        },
      );
    },

    /** Pairwise and cluster metrics of the champion and the challenger against the labels. */
    async evaluateIdentities(input: {
      labels: string;
      labelFiles: string[];
      idsFile: string;
      scoredFiles: string[];
      output: string;
      models: {
        role: 'champion' | 'challenger';
        model: IdentityModel;
        threshold: number;
        clustersFile: string;
      }[];
    }): Promise<Pick<ModelReport, 'pairwise' | 'clusterMetrics'>[]> {
      return withDuckDBTask(
        config,
        { label: 'ms-evaluate', heartbeat: { status: 'evaluate: pairwise and cluster metrics' } },
        async ({ scratch, conn }) => {
          const labelLocal = await stageAll(input.labelFiles, scratch);
          await loadLabels(conn, labelLocal, input.labelFiles, input.labels);
          const ids = await storageFor(input.idsFile).stageIn(input.idsFile, scratch);
          const scored = await stageAll(input.scoredFiles, scratch);
          const out = [];
          for (const m of input.models) {
            const clusters = await storageFor(joinUri(input.output, m.clustersFile)).stageIn(
              joinUri(input.output, m.clustersFile),
              scratch,
            );
            const pairwise = await pairwiseMetrics(conn, {
              scored: `SELECT * FROM read_parquet(${sqlFileList(scored)})`,
              score: m.role === 'champion' ? 'score' : 'challenger_score',
              threshold: m.threshold,
              records: `SELECT record_id FROM read_parquet(${sqlString(ids)})`,
              labels: 'labels',
            });
            const cm = await clusterMetrics(conn, {
              clusters: `SELECT * FROM read_parquet(${sqlString(clusters)})`,
              labels: 'labels',
            });
            out.push({ pairwise, clusterMetrics: cm });
          }
          return out;
        },
      );
    },

    async publishModelScoring(input: {
      runDate: string;
      output: string;
      files: StagedFile[];
      report: Record<string, unknown>;
    }): Promise<void> {
      // Committing also removes the run's _work files.
      await commitOutput(
        config,
        input.output,
        { pipeline: 'model-scoring', runDate: input.runDate, report: input.report },
        input.files,
      );
    },
  };
}

export type ModelScoringActivities = ReturnType<typeof createModelScoringActivities>;
