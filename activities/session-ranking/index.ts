// Activities of session-ranking: plan (list inputs, choose buckets), map (per file group),
// reduce (per id bucket) and publish (merge, write JSON + Parquet, manifest).
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { withDuckDB } from '../../lib/duckdb.js';
import { missingInput } from '../../lib/errors.js';
import { resolveDataset, storageFor, joinUri, type ObjectInfo } from '../../lib/storage/index.js';
import { beginOutput, commitOutput, putOutputFile } from '../../lib/storage/manifest.js';
import type { SessionRankingParams } from '../../lib/pipelines/session-ranking.js';
import { duckdbOptions, type ActivityDeps } from '../common/deps.js';
import { previousHeartbeat, startHeartbeat } from '../common/heartbeat.js';
import { requireColumns } from '../common/schema.js';
import { createExpertsSql, mapCountsSql, mapFileSql, mergeSql, reduceBucketSql } from './sql.js';
import { MONTHS, type MonthRanking, type SessionRankingPlan, type MapResult } from './types.js';

export * from './types.js';

const TARGET_BYTES_PER_BUCKET = 512 * 1024 * 1024;
const MAX_BUCKETS = 64;

/** Splits files into `groups` lists of roughly equal bytes (largest first, greedy). */
export function groupBySize(files: ObjectInfo[], groups: number): string[][] {
  const out = Array.from({ length: Math.max(1, Math.min(groups, files.length)) }, () => ({
    bytes: 0,
    uris: [] as string[],
  }));
  for (const f of [...files].sort((a, b) => b.size - a.size)) {
    const smallest = out.reduce((m, g) => (g.bytes < m.bytes ? g : m), out[0]!);
    smallest.bytes += f.size;
    smallest.uris.push(f.uri);
  }
  return out.map((g) => g.uris.sort());
}

async function stageAll(uris: string[], scratch: string): Promise<string[]> {
  return Promise.all(uris.map((u) => storageFor(u).stageIn(u, scratch)));
}

export function createSessionRankingActivities({ config }: ActivityDeps) {
  const scratchFor = async (label: string) => {
    const dir = path.join(config.DAYBREAK_SCRATCH_DIR, `${label}-${randomUUID()}`);
    await fs.mkdir(dir, { recursive: true });
    return dir;
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
      const buckets =
        params.shards ?? Math.min(MAX_BUCKETS, Math.max(1, Math.ceil(totalBytes / TARGET_BYTES_PER_BUCKET)));
      const mapGroups = groupBySize(activity, Math.max(buckets, config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES));
      const workUri = joinUri(
        params.output,
        '_work',
        Context.current().info.workflowExecution?.runId ?? randomUUID(),
      );
      await beginOutput(params.output);
      return {
        mapGroups,
        profileFiles: profile.map((f) => f.uri),
        buckets,
        workUri,
        inputBytes: totalBytes,
      };
    },

    /** Aggregates one group of activity files into per-file partials; resumes after the last finished file. */
    async mapSessionFiles(input: {
      group: number;
      files: string[];
      profileFiles: string[];
      buckets: number;
      year?: number;
      workUri: string;
    }): Promise<MapResult> {
      const done = previousHeartbeat<MapResult & { filesDone: number; status?: string }>() ?? {
        filesDone: 0,
        inputRows: 0,
        rejectedRows: 0,
        partials: [],
      };
      const scratch = await scratchFor(`map-${input.group}`);
      try {
        return await withDuckDB(duckdbOptions(config), async (conn) => {
          const progress = startHeartbeat(
            {
              ...done,
              status: `group ${input.group + 1}: starting at file ${done.filesDone + 1}/${input.files.length}`,
            },
            conn,
          );
          try {
            const profiles = await stageAll(input.profileFiles, scratch);
            for (const [i, local] of profiles.entries()) {
              await requireColumns(conn, local, input.profileFiles[i]!, { id: 'any', level: 'text' });
            }
            await conn.run(createExpertsSql(profiles));
            const state = { ...done, partials: [...done.partials] };
            for (let i = done.filesDone; i < input.files.length; i++) {
              const uri = input.files[i]!;
              const local = await storageFor(uri).stageIn(uri, scratch);
              await requireColumns(conn, local, uri, {
                id: 'any',
                session_begin: 'timestamp',
                session_end: 'timestamp',
              });
              const name = `map-${input.group}-${i}.parquet`;
              const out = path.join(scratch, name);
              await conn.run(mapFileSql({ file: local, out, buckets: input.buckets, year: input.year }));
              const counts = (await conn.runAndReadAll(mapCountsSql)).getRowObjects()[0]!;
              const target = joinUri(input.workUri, name);
              await storageFor(target).putFile(out, target);
              state.inputRows += Number(counts.input_rows);
              state.rejectedRows += Number(counts.rejected_rows);
              if (counts.max_year !== null)
                state.maxYear = Math.max(state.maxYear ?? 0, Number(counts.max_year));
              state.partials.push(target);
              progress.beat({
                ...state,
                filesDone: i + 1,
                status: `group ${input.group + 1}: file ${i + 1}/${input.files.length}, ${state.inputRows.toLocaleString('en-US')} rows`,
              });
            }
            progress.stop();
            return {
              inputRows: state.inputRows,
              rejectedRows: state.rejectedRows,
              maxYear: state.maxYear,
              partials: state.partials,
            };
          } finally {
            progress.stop();
          }
        });
      } finally {
        await fs.rm(scratch, { recursive: true, force: true });
      }
    },

    /** Totals one id bucket and keeps its top N per month. */
    async reduceSessionBucket(input: {
      bucket: number;
      partials: string[];
      year: number;
      top: number;
      workUri: string;
    }): Promise<string> {
      const scratch = await scratchFor(`reduce-${input.bucket}`);
      try {
        return await withDuckDB(duckdbOptions(config), async (conn) => {
          const progress = startHeartbeat(
            {
              bucket: input.bucket,
              status: `bucket ${input.bucket + 1}: ranking ${input.partials.length} partials`,
            },
            conn,
          );
          try {
            const locals = await stageAll(input.partials, scratch);
            const name = `rank-${input.bucket}.parquet`;
            const out = path.join(scratch, name);
            await conn.run(
              reduceBucketSql({
                partials: locals,
                bucket: input.bucket,
                year: input.year,
                top: input.top,
                out,
              }),
            );
            const target = joinUri(input.workUri, name);
            await storageFor(target).putFile(out, target);
            return target;
          } finally {
            progress.stop();
          }
        });
      } finally {
        await fs.rm(scratch, { recursive: true, force: true });
      }
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
      const scratch = await scratchFor('publish');
      try {
        return await withDuckDB(duckdbOptions(config, false), async (conn) => {
          const locals = await stageAll(input.bucketFiles, scratch);
          const sql = mergeSql({ bucketFiles: locals, year: input.year, top: input.top });
          const rows = (await conn.runAndReadAll(sql)).getRowObjects();
          const ranking = Object.fromEntries(MONTHS.map((m) => [m, [] as string[]])) as MonthRanking;
          for (const row of rows) ranking[MONTHS[Number(row.month) - 1]!].push(String(row.user_id));
          const parquet = path.join(scratch, 'ranking.parquet');
          await conn.run(`COPY (${sql}) TO '${parquet.replaceAll("'", "''")}' (FORMAT parquet)`);
          const json = path.join(scratch, 'ranking.json');
          await fs.writeFile(json, `${JSON.stringify(ranking)}\n`);
          const files = [
            await putOutputFile(input.output, json, 'ranking.json', 12),
            await putOutputFile(input.output, parquet, 'ranking.parquet', rows.length),
          ];
          await commitOutput(
            input.output,
            { pipeline: 'session-ranking', runDate: input.runDate, report: input.report },
            files,
          );
          return ranking;
        });
      } finally {
        await fs.rm(scratch, { recursive: true, force: true });
      }
    },
  };
}

export type SessionRankingActivities = ReturnType<typeof createSessionRankingActivities>;
