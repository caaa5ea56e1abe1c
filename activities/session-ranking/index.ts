// Activities of session-ranking: plan (list inputs, choose buckets, or one task for a small
// input), experts (profile -> expert ids with their bucket, once per run), map (per file group),
// reduce (per id bucket) and publish (merge, write JSON + Parquet, manifest); or, for a small
// input, rank-and-publish (all of it in one task).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString, withDuckDB } from '../../lib/duckdb.js';
import { missingInput } from '../../lib/errors.js';
import { autoShards } from '../../lib/shards.js';
import { resolveDataset, storageFor, joinUri } from '../../lib/storage/index.js';
import type { SessionRankingParams } from '../../pipelines/session-ranking.js';
import { duckdbOptions, type ActivityDeps } from '../common/deps.js';
import { checkOutput } from '../common/quality.js';
import { previousHeartbeat, whileHeartbeating } from '../common/heartbeat.js';
import { batchFiles, groupBySize } from '../common/grouping.js';
import { runWorkUri } from '../common/work.js';
import { commitOutput, openRunOutput, putOutputFile } from '../common/output.js';
import { requireColumns } from '../common/schema.js';
import {
  expertsSql,
  fileCountsSql,
  mapFilesSql,
  mergeSql,
  rankAllSql,
  reduceBucketSql,
  type ExpertsSource,
} from './sql.js';
import {
  MONTHS,
  type MapExperts,
  type MapResult,
  type MonthRanking,
  type SessionRankingPlan,
  type SingleTaskResult,
} from './types.js';
import { rankingYear } from '../../lib/contracts/ranking-year.js';
import { withScratch } from '../common/scratch.js';
import { withDuckDBTask, type DuckDBTask } from '../common/task.js';
import { stageAll } from '../common/staging.js';

export * from './types.js';
export { batchFiles, groupBySize } from '../common/grouping.js';

const TARGET_BYTES_PER_BUCKET = 512 * 1024 * 1024;
const BATCH_BYTES = 512 * 1024 * 1024;
const BATCH_FILES = 8;
/** Up to this many buckets, map output is one file per batch rather than a folder per bucket. */
const SINGLE_FILE_MAX_BUCKETS = 4;
/**
 * Past this much profile Parquet, `expertsStep=auto` writes the expert ids once per run: each map
 * query would otherwise scan the whole profile (~3.5 ms per MB) to save ~0.2 s of probing per
 * 512 MB batch through DuckDB's Bloom filter (BENCHMARKS.md, docs/scaling.md).
 */
export const PROFILE_BYTES_FOR_EXPERTS_STEP = 64 * 1024 * 1024;
/**
 * Up to this much activity Parquet, with no `shards` given, the whole run is one task (rank and
 * publish): on a small input the map and reduce tasks' own costs (a DuckDB instance each, the
 * intermediate files, two more activities) were most of a run, and a backfill of small dates is
 * many such runs side by side (BENCHMARKS.md "backfill").
 */
export const SINGLE_TASK_MAX_BYTES = 128 * 1024 * 1024;

/** Where map output lives when every batch writes one file holding all buckets. */
export function allBucketsPrefix(workUri: string): string {
  return joinUri(workUri, 'all-buckets');
}

/**
 * Where a bucket's map output lives: `<work>/bucket=<bbb>/`. Fixed width, so listing the prefix
 * of bucket 1 on an object store never also returns bucket 10's objects.
 */
export function bucketPrefix(workUri: string, bucket: number): string {
  return joinUri(workUri, `bucket=${String(bucket).padStart(3, '0')}`);
}

/** Stages the profile files and checks each has the columns the experts query reads. */
async function stageProfile(conn: DuckDBConnection, uris: string[], scratch: string): Promise<string[]> {
  const locals = await stageAll(uris, scratch);
  for (const [i, local] of locals.entries()) {
    await requireColumns(conn, local, uris[i]!, { id: 'any', level: 'text' });
  }
  return locals;
}

/** Stages activity files and checks each has the columns the map and rank queries read. */
async function stageActivity(conn: DuckDBConnection, uris: string[], scratch: string): Promise<string[]> {
  const locals = await stageAll(uris, scratch);
  for (const [i, local] of locals.entries()) {
    await requireColumns(conn, local, uris[i]!, {
      id: 'any',
      session_begin: 'timestamp',
      session_end: 'timestamp',
    });
  }
  return locals;
}

/** Months and years of TIMESTAMPTZ columns are taken in UTC, whatever the worker's time zone. */
async function useUtc(conn: DuckDBConnection): Promise<void> {
  await conn.run("SET TimeZone = 'UTC'");
}

export function createSessionRankingActivities(deps: ActivityDeps) {
  const { config } = deps;
  // Map and reduce tasks run side by side (up to DAYBREAK_MAX_CONCURRENT_ACTIVITIES per worker):
  // the tasks of a phase share the DuckDB threads instead of each taking all of them, which on 2
  // cores cost ~20% more CPU for the same work (measured, BENCHMARKS.md). A phase with fewer tasks
  // than the worker's concurrency (one reduce bucket, say) gives each task more threads.
  const shardDuckdb = (siblings = config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES) => ({
    ...duckdbOptions(config),
    threads: Math.max(
      1,
      Math.floor(
        config.DAYBREAK_DUCKDB_THREADS /
          Math.max(1, Math.min(siblings, config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES)),
      ),
    ),
  });

  /** Writes the ranking `sql` selects as ranking.json and ranking.parquet, checks them, commits. */
  const publishRanking = async (
    conn: DuckDBConnection,
    scratch: string,
    input: { runDate: string; output: string; sql: string; report: Record<string, unknown> },
  ): Promise<MonthRanking> => {
    const rows = (await conn.runAndReadAll(input.sql)).getRowObjects();
    const ranking = Object.fromEntries(MONTHS.map((m) => [m, [] as string[]])) as MonthRanking;
    for (const row of rows) ranking[MONTHS[Number(row.month) - 1]!].push(String(row.user_id));
    const parquet = path.join(scratch, 'ranking.parquet');
    await conn.run(`COPY (${input.sql}) TO ${sqlString(parquet)} (FORMAT parquet)`);
    const json = path.join(scratch, 'ranking.json');
    await fs.writeFile(json, `${JSON.stringify(ranking)}\n`);
    const files = [
      await putOutputFile(input.output, json, 'ranking.json', 12),
      await putOutputFile(input.output, parquet, 'ranking.parquet', rows.length),
    ];
    const ranked = MONTHS.map((m) => ranking[m].length > 0);
    const last = ranked.lastIndexOf(true);
    const checks = await checkOutput(config, {
      pipeline: 'session-ranking',
      runDate: input.runDate,
      output: input.output,
      files,
      checks: deps.checks,
      report: {
        nonEmptyMonths: ranked.filter(Boolean).length,
        gapMonths: last < 0 ? null : ranked.slice(0, last).filter((r) => !r).length,
      },
    });
    await commitOutput(
      config,
      input.output,
      { pipeline: 'session-ranking', runDate: input.runDate, report: { ...input.report, checks } },
      files,
    );
    return ranking;
  };

  return {
    async planSessionRanking(params: SessionRankingParams): Promise<SessionRankingPlan> {
      const activity = await resolveDataset(params.activity);
      if (activity.length === 0)
        throw missingInput(`no user_activity Parquet files found at ${params.activity}`);
      const profile = await resolveDataset(params.profile);
      if (profile.length === 0)
        throw missingInput(`no user_profile Parquet files found at ${params.profile}`);
      const totalBytes = activity.reduce((s, f) => s + f.size, 0);
      const buckets = params.shards ?? autoShards(totalBytes, TARGET_BYTES_PER_BUCKET);
      const sizes = new Map(activity.map((f) => [f.uri, f.size]));
      const mapGroups = groupBySize(
        activity,
        Math.max(buckets, config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES),
      ).map((uris) =>
        batchFiles(
          uris.map((uri) => ({ uri, size: sizes.get(uri)! })),
          BATCH_BYTES,
          BATCH_FILES,
        ),
      );
      const workUri = runWorkUri(params.output);
      const profileBytes = profile.reduce((s, f) => s + f.size, 0);
      const mode = params.expertsStep ?? 'auto';
      const expertsStep =
        mode === 'always' || (mode === 'auto' && profileBytes > PROFILE_BYTES_FOR_EXPERTS_STEP);
      await openRunOutput(config, params.output, [params.activity, params.profile]);
      return {
        mapGroups,
        partitioned: buckets > SINGLE_FILE_MAX_BUCKETS,
        profileFiles: profile.map((f) => f.uri),
        buckets,
        expertsStep,
        singleTask: params.shards === undefined && !expertsStep && totalBytes <= SINGLE_TASK_MAX_BYTES,
        workUri,
        inputBytes: totalBytes,
      };
    },

    /**
     * Distinct expert ids of the profile with their bucket, written once for every map task. Only
     * runs started before the maps read the profile themselves call it (workflow patch
     * `session-ranking-maps-read-profile`); remove it with that patch.
     */
    async extractSessionExperts(input: {
      profileFiles: string[];
      buckets: number;
      workUri: string;
    }): Promise<string> {
      return withDuckDBTask(
        config,
        {
          label: 'experts',
          heartbeat: { status: `experts: reading ${input.profileFiles.length} profile file(s)` },
        },
        async ({ scratch, conn }) => {
          const locals = await stageProfile(conn, input.profileFiles, scratch);
          const out = path.join(scratch, 'experts.parquet');
          await conn.run(expertsSql({ profileFiles: locals, buckets: input.buckets, out }));
          const target = joinUri(input.workUri, 'experts.parquet');
          await storageFor(target).putFile(out, target);
          return target;
        },
      );
    },

    /**
     * Writes one group's expert sessions under `<work>/bucket=<b>/`, batch by batch; a retry
     * resumes after the last batch its previous attempt reported in a heartbeat.
     */
    async mapSessionFiles(input: {
      group: number;
      batches: string[][];
      experts: MapExperts;
      partitioned: boolean;
      year?: number;
      workUri: string;
      /** Map tasks of this run (they share the worker's threads). */
      siblings?: number;
    }): Promise<MapResult> {
      type Done = Omit<MapResult, 'filesResumed'> & {
        batchesDone: number;
        filesDone: number;
        /** What the Web UI shows as the heartbeat: "group 1: file 3/8, 1,200,000 rows". */
        status?: string;
      };
      const done: Done = previousHeartbeat<Done>() ?? {
        batchesDone: 0,
        filesDone: 0,
        inputRows: 0,
        rejectedRows: 0,
      };
      const files = input.batches.reduce((n, b) => n + b.length, 0);
      return withDuckDBTask(
        config,
        {
          label: `map-${input.group}`,
          duckdb: shardDuckdb(input.siblings),
          heartbeat: {
            ...done,
            status: `group ${input.group + 1}: starting at file ${done.filesDone + 1}/${files}`,
          },
        },
        async ({ scratch, conn, heartbeat: progress }: DuckDBTask<Done>) => {
          await useUtc(conn);
          const experts: ExpertsSource =
            typeof input.experts === 'string'
              ? { file: await storageFor(input.experts).stageIn(input.experts, scratch) }
              : {
                  profileFiles: await stageProfile(conn, input.experts.profileFiles, scratch),
                  buckets: input.experts.buckets,
                };
          const state = { ...done };
          for (let b = done.batchesDone; b < input.batches.length; b++) {
            const uris = input.batches[b]!;
            const locals = await stageActivity(conn, uris, scratch);
            const name = `map-${input.group}-${b}`;
            const out = path.join(scratch, input.partitioned ? name : `${name}.parquet`);
            await conn.run(
              mapFilesSql({
                files: locals,
                experts,
                out,
                partitioned: input.partitioned,
                year: input.year,
              }),
            );
            if (input.partitioned) await publishPartitions(out, input.workUri, name);
            else {
              const target = joinUri(allBucketsPrefix(input.workUri), `${name}.parquet`);
              await storageFor(target).putFile(out, target);
            }
            const counts = (
              await conn.runAndReadAll(fileCountsSql(locals, { latestYear: input.year === undefined }))
            ).getRowObjects()[0]!;
            for (const [i, local] of locals.entries()) {
              if (local !== path.resolve(uris[i]!)) await fs.rm(local, { force: true });
            }
            state.inputRows += Number(counts.input_rows);
            state.rejectedRows += Number(counts.rejected_rows);
            if (counts.max_year !== null)
              state.maxYear = Math.max(state.maxYear ?? 0, Number(counts.max_year));
            state.batchesDone = b + 1;
            state.filesDone += uris.length;
            progress.beat({
              ...state,
              status: `group ${input.group + 1}: file ${state.filesDone}/${files}, ${state.inputRows.toLocaleString('en-US')} rows`,
            });
          }
          return {
            inputRows: state.inputRows,
            rejectedRows: state.rejectedRows,
            maxYear: state.maxYear,
            filesResumed: done.filesDone,
          };
        },
      );
    },

    /** Totals one id bucket and keeps its top N per month; undefined when the bucket is empty. */
    async reduceSessionBucket(input: {
      bucket: number;
      partitioned: boolean;
      year: number;
      /** The maps filtered by the run's year and wrote no year column (unset: they wrote one). */
      mapsFilteredYear?: boolean;
      top: number;
      workUri: string;
      /** Reduce tasks of this run (they share the worker's threads). */
      siblings?: number;
    }): Promise<string | undefined> {
      const prefix = input.partitioned
        ? bucketPrefix(input.workUri, input.bucket)
        : allBucketsPrefix(input.workUri);
      const partials = (await resolveDataset(prefix)).map((o) => o.uri);
      if (partials.length === 0) return undefined;
      return withDuckDBTask(
        config,
        {
          label: `reduce-${input.bucket}`,
          duckdb: shardDuckdb(input.siblings),
          heartbeat: {
            bucket: input.bucket,
            status: `bucket ${input.bucket + 1}: ranking ${partials.length} partial files`,
          },
        },
        async ({ scratch, conn }) => {
          const locals = await stageAll(partials, scratch);
          const name = `rank-${input.bucket}.parquet`;
          const out = path.join(scratch, name);
          await conn.run(
            reduceBucketSql({
              partials: locals,
              bucket: input.partitioned ? undefined : input.bucket,
              year: input.year,
              partialsHaveYear: !input.mapsFilteredYear,
              top: input.top,
              out,
            }),
          );
          const target = joinUri(input.workUri, 'ranks', name);
          await storageFor(target).putFile(out, target);
          return target;
        },
      );
    },

    /** Merges the buckets' top N, writes ranking.json and ranking.parquet, then the manifest. */
    async publishSessionRanking(input: {
      runDate: string;
      output: string;
      bucketFiles: string[];
      year: number;
      top: number;
      report: Record<string, unknown>;
    }): Promise<MonthRanking> {
      const merging = () =>
        withScratch(config, 'publish', (scratch) =>
          withDuckDB(duckdbOptions(config, false), async (conn) => {
            const locals = await stageAll(input.bucketFiles, scratch);
            const sql = mergeSql({ bucketFiles: locals, year: input.year, top: input.top });
            return publishRanking(conn, scratch, {
              runDate: input.runDate,
              output: input.output,
              report: input.report,
              sql,
            });
          }),
        );
      return whileHeartbeating(`merge and publish ${input.output}`, merging);
    },

    /**
     * A small input's whole run in one task: counts, totals and top N per month in one query over
     * every file, then ranking.json, ranking.parquet and the manifest as publishSessionRanking
     * writes them. The year is the run's, or the latest year of a valid session.
     */
    async rankAndPublishSessions(input: {
      runDate: string;
      output: string;
      files: string[];
      profileFiles: string[];
      year?: number;
      top: number;
      report: Record<string, unknown>;
    }): Promise<SingleTaskResult> {
      return withDuckDBTask(
        config,
        { label: 'rank', heartbeat: { status: `ranking ${input.files.length} activity file(s)` } },
        async ({ scratch, conn }) => {
          await useUtc(conn);
          const profileFiles = await stageProfile(conn, input.profileFiles, scratch);
          const files = await stageActivity(conn, input.files, scratch);
          const counts = (
            await conn.runAndReadAll(fileCountsSql(files, { latestYear: input.year === undefined }))
          ).getRowObjects()[0]!;
          const inputRows = Number(counts.input_rows);
          const rejectedRows = Number(counts.rejected_rows);
          const year = rankingYear(
            input.year,
            counts.max_year === null ? [] : [Number(counts.max_year)],
            input.runDate,
          );
          await conn.run(rankAllSql({ files, profileFiles, year, top: input.top, table: 'ranks' }));
          const ranking = await publishRanking(conn, scratch, {
            runDate: input.runDate,
            output: input.output,
            sql: mergeSql({ table: 'ranks', year, top: input.top }),
            report: { ...input.report, inputRows, rejectedRows, year },
          });
          return { ranking, inputRows, rejectedRows, year };
        },
      );
    },
  };
}

/**
 * Moves DuckDB's `bucket=<b>/...` output of one input file to `bucketPrefix(b)/<name>-<k>.parquet`:
 * deterministic names, so a retried file overwrites its earlier partials instead of adding to them.
 */
async function publishPartitions(outDir: string, workUri: string, name: string): Promise<void> {
  let dirs: string[];
  try {
    dirs = (await fs.readdir(outDir)).filter((d) => /^bucket=\d+$/.test(d)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // no expert sessions in this file
    throw err;
  }
  for (const dir of dirs) {
    const bucket = Number(dir.slice('bucket='.length));
    const files = (await fs.readdir(path.join(outDir, dir))).sort();
    for (const [k, file] of files.entries()) {
      const target = joinUri(bucketPrefix(workUri, bucket), `${name}-${k}.parquet`);
      await storageFor(target).putFile(path.join(outDir, dir, file), target);
    }
  }
}

export type SessionRankingActivities = ReturnType<typeof createSessionRankingActivities>;
