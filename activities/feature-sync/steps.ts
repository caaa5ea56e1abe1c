// The steps of a feature sync as plain functions (the activities wrap them; benches and fault
// tests call them directly): compute a view to Parquet (here), plan the load (./plan.ts), load one
// shard over a raw RESP pipe (./load.ts), publish: check, switch, clean up (./publish.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { installAddressMacros } from '../../lib/address/index.js';
import type { Config } from '../../lib/config.js';
import { sqlFileList, sqlIdent, sqlString, withDuckDB } from '../../lib/duckdb.js';
import { missingInput } from '../../lib/errors.js';
import { fieldsSignature } from '../../lib/features/encoding.js';
import { keptIncompleteMessage, MAX_PUBLISH_ROUNDS } from '../../lib/contracts/feature-sync-reloads.js';
import { ENTITY_ID_SQL_PATTERN, type FeatureView } from '../../lib/features/types.js';
import { resolveDataset, joinUri } from '../../lib/storage/index.js';
import { commitOutput, openRunOutput, putOutputFile } from '../common/output.js';
import { duckdbOptions } from '../common/deps.js';
import { requireColumns } from '../common/schema.js';
import { loadShard } from './load.js';
import { ALIASES_FOLDER, isAliasFile, manifestFingerprint, planLoad } from './plan.js';
import { publishVersion } from './publish.js';
import { copyViewSql, invalidKeysSql, viewTableSql } from './sql.js';
import type { ComputedView, LoadPlan, PublishedView, ShardLoad, SyncMode } from './types.js';
import { withScratch } from '../common/scratch.js';
import { stageAll } from '../common/staging.js';

export { loadShard } from './load.js';
export { allocateVersion, ENTITIES_PER_SHARD, MAX_LAYERS, planLoad } from './plan.js';
export { countShards, publishConflict, publishVersion, removeOldVersions } from './publish.js';
export { CLEANUP_PACING, type CleanupPacing } from './pacing.js';

async function createInputViews(
  conn: DuckDBConnection,
  input: { records: string; clusters?: string },
  scratch: string,
): Promise<{ clusters: boolean }> {
  const records = await resolveDataset(input.records);
  if (records.length === 0) throw missingInput(`no customer record Parquet files found at ${input.records}`);
  const locals = await stageAll(
    records.map((r) => r.uri),
    scratch,
  );
  for (const [i, local] of locals.entries()) {
    await requireColumns(conn, local, records[i]!.uri, {
      record_id: 'text',
      source: 'any',
      email: 'any',
      address_line: 'any',
      city: 'any',
      state: 'any',
      zip: 'any',
      updated_at: 'timestamp',
    });
  }
  await conn.run(`CREATE OR REPLACE VIEW records AS SELECT * FROM read_parquet(${sqlFileList(locals)})`);
  if (!input.clusters) return { clusters: false };
  const clusters = await resolveDataset(input.clusters);
  if (clusters.length === 0) throw missingInput(`no cluster Parquet files found at ${input.clusters}`);
  const clusterLocals = await stageAll(
    clusters.map((c) => c.uri),
    scratch,
  );
  for (const [i, local] of clusterLocals.entries()) {
    await requireColumns(conn, local, clusters[i]!.uri, { record_id: 'text', identity_id: 'any' });
  }
  await conn.run(
    `CREATE OR REPLACE VIEW clusters AS SELECT record_id, CAST(identity_id AS VARCHAR) AS identity_id
     FROM read_parquet(${sqlFileList(clusterLocals)})`,
  );
  return { clusters: true };
}

/**
 * The alias rows of a view that follows aliases: merged-away ids (valid, not themselves an entity)
 * whose survivor is an entity of this view, as (k, identity_id) sorted by k.
 */
async function aliasRows(
  conn: DuckDBConnection,
  view: FeatureView,
  aliases: string,
  scratch: string,
): Promise<string> {
  const files = await resolveDataset(aliases);
  if (files.length === 0) throw missingInput(`no alias Parquet files found at ${aliases}`);
  const locals = await stageAll(
    files.map((f) => f.uri),
    scratch,
  );
  for (const [i, local] of locals.entries())
    await requireColumns(conn, local, files[i]!.uri, { old_identity_id: 'text', identity_id: 'text' });
  const key = sqlIdent(view.key);
  const out = path.join(scratch, 'aliases.parquet');
  await conn.run(`COPY (
      SELECT a.old_identity_id AS k, a.identity_id
      FROM read_parquet(${sqlFileList(locals)}) a
      WHERE regexp_full_match(a.old_identity_id, ${sqlString(ENTITY_ID_SQL_PATTERN)})
        AND EXISTS (SELECT 1 FROM view_rows v WHERE v.${key} = a.identity_id)
        AND NOT EXISTS (SELECT 1 FROM view_rows v WHERE v.${key} = a.old_identity_id)
      ORDER BY k) TO ${sqlString(out)} (FORMAT parquet)`);
  return out;
}

/** What computing one view's offline output needs. */
export interface ComputeViewInput {
  view: FeatureView;
  records: string;
  clusters?: string;
  /** model-scoring's alias table (old_identity_id, identity_id), for a view that follows aliases. */
  aliases?: string;
  output: string;
  runDate: string;
  asOf: string;
}

/** Computes `view` over the records (and clusters) and publishes it under `output` with a manifest. */
export async function computeView(config: Config, input: ComputeViewInput): Promise<ComputedView> {
  const output = await openRunOutput(config, input.output, [
    input.records,
    ...(input.clusters ? [input.clusters] : []),
    ...(input.view.followsAliases && input.aliases ? [input.aliases] : []),
  ]);
  return withScratch(config, `fs-compute-${input.view.name}`, (scratch) =>
    withDuckDB(duckdbOptions(config), async (conn) => {
      await installAddressMacros(conn);
      const { clusters } = await createInputViews(conn, input, scratch);
      const asOfSql = `TIMESTAMP '${input.asOf.replace('T', ' ').replace('Z', '')}'`;
      await conn.run(
        viewTableSql(input.view, {
          records: 'records',
          clusters: clusters ? 'clusters' : undefined,
          asOf: asOfSql,
        }),
      );
      const invalidKeys = Number((await conn.runAndReadAll(invalidKeysSql(input.view))).getRows()[0]![0]);
      const outDir = path.join(scratch, 'out');
      await conn.run(copyViewSql(input.view, outDir));
      const names = (await fs.readdir(outDir)).filter((n) => n.endsWith('.parquet')).sort();
      const files = [];
      for (const name of names) {
        const local = path.join(outDir, name);
        const rows = Number(
          (
            await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${local.replaceAll("'", "''")}')`)
          ).getRows()[0]![0],
        );
        files.push(await putOutputFile(output, local, name, rows));
      }
      let aliasCount: number | undefined;
      if (input.view.followsAliases && input.aliases) {
        const local = await aliasRows(conn, input.view, input.aliases, scratch);
        aliasCount = Number(
          (
            await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(local)})`)
          ).getRows()[0]![0],
        );
        files.push(await putOutputFile(output, local, `${ALIASES_FOLDER}part-0.parquet`, aliasCount));
      }
      const manifest = await commitOutput(
        config,
        output,
        {
          pipeline: 'feature-sync',
          runDate: input.runDate,
          report: {
            clusters: input.clusters ?? null,
            ...(aliasCount === undefined ? {} : { aliases: input.aliases, aliasRows: aliasCount }),
            view: input.view.name,
            key: input.view.key,
            asOf: input.asOf,
            invalidKeys,
            fields: fieldsSignature(input.view),
          },
        },
        files,
      );
      const entityFiles = manifest.files.filter((f) => !isAliasFile(f.name));
      const aliasFiles = manifest.files.filter((f) => isAliasFile(f.name));
      return {
        view: input.view.name,
        offline: input.output,
        files: entityFiles.map((f) => joinUri(input.output, f.name)),
        ...(aliasFiles.length ? { aliasFiles: aliasFiles.map((f) => joinUri(input.output, f.name)) } : {}),
        rows: entityFiles.reduce((s, f) => s + f.rows, 0),
        invalidKeys,
        fingerprint: manifestFingerprint(manifest),
        clusters: input.clusters,
        ...(aliasCount === undefined ? {} : { aliases: input.aliases, aliasRows: aliasCount }),
      };
    }),
  );
}

/** What syncing one view in this process needs. */
export type SyncViewInput = ComputeViewInput & { mode: SyncMode; redisUrl: string; shards?: number };

/**
 * Every step of one view but the switch, in this process: compute, plan, load each shard (one by
 * one) into the plan's version. Returns what `publishInProcess` takes.
 */
export async function loadViewInProcess(
  config: Config,
  input: SyncViewInput,
  onProgress?: (written: number) => void | Promise<void>,
): Promise<{ computed: ComputedView; plan: LoadPlan; loads: ShardLoad[]; computeMs: number }> {
  const t0 = performance.now();
  const computed = await computeView(config, input);
  const computeMs = performance.now() - t0;
  const plan = await planLoad({ ...input, computed });
  const loads: ShardLoad[] = [];
  for (let shard = 0; shard < plan.shards; shard++) {
    loads.push(await loadShard(config, { ...input, plan, files: computed.files, shard }, onProgress));
  }
  return { computed, plan, loads, computeMs };
}

/**
 * Publishes a loaded version as the workflow does: when Redis lost some of it (the switch refused),
 * loads the short shards again, at most MAX_PUBLISH_ROUNDS times.
 */
export async function publishInProcess(
  config: Config,
  input: SyncViewInput & { computed: ComputedView; plan: LoadPlan; loads: ShardLoad[] },
): Promise<PublishedView> {
  let loads = input.loads;
  for (let round = 1; ; round++) {
    const outcome = await publishVersion(config, { ...input, loads });
    if (!('incomplete' in outcome)) return outcome;
    if (round === MAX_PUBLISH_ROUNDS)
      throw new Error(keptIncompleteMessage(outcome.view, outcome.version, outcome.incomplete));
    const again = new Map<number, ShardLoad>();
    for (const shard of outcome.incomplete.shards)
      again.set(shard, await loadShard(config, { ...input, files: input.computed.files, shard }));
    loads = loads.map((l) => again.get(l.shard) ?? l);
  }
}

/** All steps of one view in this process (benches, fault tests, local use); shards run one by one. */
export async function syncViewInProcess(
  config: Config,
  input: SyncViewInput,
  onProgress?: (written: number) => void | Promise<void>,
): Promise<PublishedView & { computeMs: number; loadMs: number }> {
  const t0 = performance.now();
  const loaded = await loadViewInProcess(config, input, onProgress);
  const loadMs = performance.now() - t0 - loaded.computeMs;
  const published = await publishInProcess(config, { ...input, ...loaded });
  return { ...published, computeMs: loaded.computeMs, loadMs };
}
