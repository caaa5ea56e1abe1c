// Activities of identity-join: plan (select the date's DS1 files, size the shards), then either
// one join per DS1 group that reads and hashes the raw DS2 itself (DS2 fits a task), or the
// shuffle: map DS2 (raw pii and ip leave it only as sha2) and DS1 into visitor_id buckets, then
// join each bucket's partitions; and publish the manifest with the report. Runs planned before the
// shuffle hash DS2 into buckets and join each bucket against all of DS1 (hashDs2Group,
// joinIdentityShard with a bucket).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CURRENT_BUCKET_HASH, plannedBucketHash, type BucketHash } from '../../lib/buckets.js';
import { parquetRowsPerFile } from '../../lib/duckdb.js';
import { badInput, missingInput } from '../../lib/errors.js';
import type { IdentityJoinParams } from '../../pipelines/identity-join.js';
import { ADDED_COLUMNS } from './types.js';
import { joinUri, resolveDataset, storageFor } from '../../lib/storage/index.js';
import type { Manifest } from '../../lib/storage/manifest.js';
import { commitOutput, openRunOutput, putOutputFile, type StagedFile } from '../common/output.js';
import { whileHeartbeating } from '../common/heartbeat.js';
import { runWorkUri } from '../common/work.js';
import type { ActivityDeps } from '../common/deps.js';
import { checkOutput } from '../common/quality.js';
import { groupByTarget } from '../common/grouping.js';
import { stageAll } from '../common/staging.js';
import { requireColumns } from '../common/schema.js';
import { configTaskMemory } from '../common/memory.js';
import {
  listBucketPartitions,
  reduceRowGroupBytes,
  runShuffleMap,
  shuffleMapGroups,
  shufflePlanHash,
} from '../common/shuffle.js';
import { DS1_BYTES_PER_TASK, DS2_BYTES_PER_TASK, selectDs1, sizeJoin } from './plan.js';
import {
  countsSql,
  createDs2TableSql,
  ds1ShuffleSql,
  ds2RowsSql,
  hashDs2Sql,
  hashedDs2,
  joinSql,
  type Ds2Source,
} from './sql.js';
import type {
  BucketJoinTask,
  HashedDs2,
  IdentityJoinMapResult,
  IdentityJoinMapTask,
  IdentityJoinPlan,
  IdentityJoinReport,
  JoinTask,
  JoinTaskResult,
} from './types.js';
import { withDuckDBTask, withQueryProgress } from '../common/task.js';

export * from './types.js';

/**
 * part-<task>-<n>.parquet, published as part-<task>-<n>-<run tag>.parquet: a retried task
 * overwrites its own files, a re-run writes beside the previous output until it commits.
 */
export function outputFileName(task: number, n: number): string {
  return `part-${String(task).padStart(5, '0')}-${String(n).padStart(5, '0')}.parquet`;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.parquet')) out.push(path.join(entry.parentPath, entry.name));
  }
  return out.sort();
}

/**
 * Puts a task's non-empty output files under their final names (`part-<task>-<n>.parquet`, so a
 * retry overwrites its own), with size and checksum for the manifest.
 */
async function publishOutputFiles(
  output: string,
  task: number,
  written: string[],
  rows: Map<string, number>,
): Promise<StagedFile[]> {
  const files: StagedFile[] = [];
  for (const local of written) {
    const n = rows.get(local) ?? 0;
    if (n === 0) continue; // an empty bucket writes one empty file: not worth publishing
    files.push(await putOutputFile(output, local, outputFileName(task, files.length), n));
  }
  return files;
}

/** Every DS2 file has the columns the hashing reads (named by its URI when one is missing). */
async function requireDs2Columns(conn: DuckDBConnection, locals: string[], uris: string[]): Promise<void> {
  for (const [i, local] of locals.entries()) {
    await requireColumns(conn, local, uris[i]!, {
      visitor_id: 'any',
      lvr_id: 'any',
      pii: 'text',
      ip: 'text',
    });
  }
}

/**
 * Every DS1 file has visitor_id and the columns asked for; without `columns`, none of the columns
 * the join adds (named by its URI when not).
 */
async function requireDs1Columns(
  conn: DuckDBConnection,
  locals: string[],
  uris: string[],
  columns: string[] | undefined,
): Promise<void> {
  const wanted = Object.fromEntries((columns ?? []).map((c) => [c, 'any' as const]));
  for (const [i, local] of locals.entries()) {
    const cols = await requireColumns(conn, local, uris[i]!, { visitor_id: 'any', ...wanted });
    const clash = columns ? [] : ADDED_COLUMNS.filter((c) => cols.has(c));
    if (clash.length) {
      throw badInput(
        `${uris[i]} has column(s) ${clash.join(', ')}, which the join adds; pass columns= to choose DS1 columns`,
      );
    }
  }
}

/** Sum of the local files' sizes. */
async function localBytes(files: string[]): Promise<number> {
  const sizes = await Promise.all(files.map(async (f) => (await fs.stat(f)).size));
  return sizes.reduce((s, n) => s + n, 0);
}

export function createIdentityJoinActivities(deps: ActivityDeps) {
  const { config } = deps;
  return {
    async planIdentityJoin(input: {
      runDate: string;
      params: IdentityJoinParams;
    }): Promise<IdentityJoinPlan> {
      const { params, runDate } = input;
      const ds1 = await selectDs1(params.ds1, runDate);
      const ds2 = await resolveDataset(params.ds2);
      if (ds2.length === 0) throw missingInput(`no DS2 Parquet files found at ${params.ds2}`);
      const ds1Bytes = ds1.files.reduce((s, f) => s + f.size, 0);
      const ds2Bytes = ds2.reduce((s, f) => s + f.size, 0);
      const { buckets, ...sizing } = sizeJoin({
        ds2Bytes,
        memoryLimit: config.DAYBREAK_DUCKDB_MEMORY_LIMIT,
        concurrentTasks: config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES,
        shards: params.shards,
      });
      const shuffle = buckets > 1;
      await openRunOutput(config, params.output, [params.ds1, params.ds2]);
      return {
        ds1Groups: shuffle || ds1.files.length === 0 ? [] : groupByTarget(ds1.files, DS1_BYTES_PER_TASK),
        ds2Groups: shuffle ? [] : groupByTarget(ds2, DS2_BYTES_PER_TASK),
        shuffle: shuffle
          ? {
              ds1: shuffleMapGroups(ds1.files, DS1_BYTES_PER_TASK),
              ds2: shuffleMapGroups(ds2, DS2_BYTES_PER_TASK),
            }
          : undefined,
        sizing,
        buckets,
        bucketHash: shuffle ? await shufflePlanHash() : CURRENT_BUCKET_HASH,
        hashDs2InJoin: buckets === 1,
        workUri: runWorkUri(params.output),
        partition: ds1.partition,
        emptyPartition: ds1.files.length === 0,
        ds1Bytes,
        ds2Bytes,
        ds1Files: ds1.files.length,
        ds2Files: ds2.length,
      };
    },

    /** Hashes one group of DS2 files into per-bucket (visitor_id, lvr_id, sha2) files. */
    async hashDs2Group(input: {
      group: number;
      groups: number;
      files: string[];
      buckets: number;
      /** The plan's bucket hash (unset: md5-u128, the first one). */
      bucketHash?: BucketHash;
      workUri: string;
    }): Promise<HashedDs2> {
      const details = { step: `hash DS2 group ${input.group + 1}/${input.groups}`, rows: 0 };
      return withDuckDBTask(config, { label: `ij-hash-${input.group}`, heartbeat: details }, (task) =>
        withQueryProgress(task, details, async (beat) => {
          const { scratch, conn } = task;
          const locals = await stageAll(input.files, scratch);
          await requireDs2Columns(conn, locals, input.files);
          const outDir = path.join(scratch, 'out');
          await conn.run(
            hashDs2Sql({
              files: locals,
              buckets: input.buckets,
              bucketHash: plannedBucketHash(input.bucketHash),
              group: input.group,
              outDir,
            }),
          );
          const written = await listFiles(outDir);
          const rows = await parquetRowsPerFile(conn, written);
          const bucketFiles: string[][] = Array.from({ length: input.buckets }, () => []);
          let total = 0;
          for (const local of written) {
            const bucketDir = path.basename(path.dirname(local)); // bucket=<b>
            const bucket = Number(bucketDir.slice('bucket='.length));
            const target = joinUri(input.workUri, 'ds2', bucketDir, path.basename(local));
            total += rows.get(local) ?? 0;
            await storageFor(target).putFile(local, target);
            bucketFiles[bucket]!.push(target);
          }
          beat({ rows: total });
          return { group: input.group, rows: total, bucketFiles };
        }),
      );
    },

    /** Joins one bucket of one DS1 file group and puts its output files under their final names. */
    async joinIdentityShard(input: JoinTask): Promise<JoinTaskResult> {
      const details = {
        shard: `${input.task + 1}/${input.tasks}`,
        bucket: input.bucket,
        step: 'staging',
        rows: 0,
      };
      return withDuckDBTask(config, { label: `ij-join-${input.task}`, heartbeat: details }, (task) =>
        withQueryProgress(task, details, async (beat) => {
          const { scratch, conn } = task;
          const ds1Locals = await stageAll(input.ds1Files, scratch);
          const ds2Locals = await stageAll(input.ds2Files, path.join(scratch, 'ds2'));
          if (input.ds2Raw) await requireDs2Columns(conn, ds2Locals, input.ds2Files);
          await requireDs1Columns(conn, ds1Locals, input.ds1Files, input.columns);
          const ds2: Ds2Source = input.ds2Raw ? { rawFiles: ds2Locals } : { table: 'd2' };
          if (!input.ds2Raw) {
            beat({ step: 'loading DS2 bucket' });
            await conn.run(createDs2TableSql(ds2Locals));
          }
          beat({ step: input.ds2Raw ? 'hashing DS2 and joining' : 'joining' });
          const outDir = path.join(scratch, 'out');
          const shard = {
            ds1Files: ds1Locals,
            ds2,
            filter: {
              bucket: input.bucket,
              buckets: input.buckets,
              bucketHash: plannedBucketHash(input.bucketHash),
            },
          };
          await conn.run(
            joinSql({ ...shard, columns: input.columns, outDir, targetFileMB: input.targetFileMB }),
          );
          // DuckDB numbers files part-0, part-1, ... in write order; keep that order.
          const written = (await listFiles(outDir)).sort(
            (a, b) => Number(/part-(\d+)/.exec(a)![1]) - Number(/part-(\d+)/.exec(b)![1]),
          );
          const rows = await parquetRowsPerFile(conn, written);
          beat({ step: 'counting matches, publishing files' });
          // Checksumming and moving the output (Node, I/O) overlaps the match count (DuckDB).
          const publishing = publishOutputFiles(input.output, input.task, written, rows);
          const counting = (async () => {
            const counts = (await conn.runAndReadAll(countsSql(shard))).getRowObjects()[0]!;
            const ds2Rows = input.ds2Raw
              ? Number((await conn.runAndReadAll(ds2RowsSql(ds2Locals))).getRowObjects()[0]!.n)
              : undefined;
            return { counts, ds2Rows };
          })();
          // Both settle before the scratch folder and the connection go away, even on failure.
          const [published, counted] = await Promise.allSettled([publishing, counting]);
          if (published.status === 'rejected') throw published.reason;
          if (counted.status === 'rejected') throw counted.reason;
          const files = published.value;
          const { counts, ds2Rows } = counted.value;
          const rowsOut = files.reduce((s, f) => s + f.rows, 0);
          beat({ step: 'done', rows: rowsOut });
          return {
            task: input.task,
            rowsIn: Number(counts.rows_in),
            matchedRows: Number(counts.matched),
            rowsOut,
            bytesRead: await localBytes([...ds1Locals, ...ds2Locals]),
            bytesWritten: files.reduce((s, f) => s + f.bytes, 0),
            files,
            ds2Rows,
          };
        }),
      );
    },

    /** Shuffle map: one group of DS1 files into visitor_id buckets (the columns asked for). */
    async mapIdentityJoinDs1(input: IdentityJoinMapTask): Promise<IdentityJoinMapResult> {
      return runShuffleMap(
        config,
        { ...input, input: 'ds1', bucketHash: plannedBucketHash(input.bucketHash) },
        {
          key: 'visitor_id',
          check: (conn, locals, uris) => requireDs1Columns(conn, locals, uris, input.columns),
          rowsSql: (locals) => ds1ShuffleSql(locals, input.columns),
        },
      );
    },

    /** Shuffle map: one group of DS2 files, hashed (raw pii and ip never leave it), into buckets. */
    async mapIdentityJoinDs2(input: IdentityJoinMapTask): Promise<IdentityJoinMapResult> {
      return runShuffleMap(
        config,
        { ...input, input: 'ds2', bucketHash: plannedBucketHash(input.bucketHash) },
        { key: 'visitor_id', check: requireDs2Columns, rowsSql: hashedDs2 },
      );
    },

    /**
     * Shuffle reduce: joins one bucket's DS1 partitions with the distinct hashed DS2 of the same
     * bucket and puts the output files under their final names.
     */
    async joinIdentityBucket(input: BucketJoinTask): Promise<JoinTaskResult> {
      const ds1Parts = await listBucketPartitions(input.workUri, 'ds1', input.bucket);
      const ds2Parts = await listBucketPartitions(input.workUri, 'ds2', input.bucket);
      const nothing = {
        task: input.bucket,
        rowsIn: 0,
        matchedRows: 0,
        rowsOut: 0,
        bytesRead: 0,
        bytesWritten: 0,
      };
      if (ds1Parts.length === 0) return { ...nothing, files: [] }; // no DS1 row in this bucket
      const details = { bucket: `${input.bucket + 1}/${input.buckets}`, step: 'staging', rows: 0 };
      return withDuckDBTask(config, { label: `ij-bucket-${input.bucket}`, heartbeat: details }, (task) =>
        withQueryProgress(task, details, async (beat) => {
          const { scratch, conn } = task;
          const ds1Locals = await stageAll(ds1Parts, path.join(scratch, 'ds1'));
          const ds2Locals = await stageAll(ds2Parts, path.join(scratch, 'ds2'));
          const joined = { ds1Files: ds1Locals, ds2: { hashedFiles: ds2Locals } };
          beat({ step: 'joining' });
          const outDir = path.join(scratch, 'out');
          await conn.run(
            joinSql({
              ...joined,
              columns: input.columns,
              outDir,
              targetFileMB: input.targetFileMB,
              rowGroupBytes: reduceRowGroupBytes(configTaskMemory(config)),
            }),
          );
          const written = (await listFiles(outDir)).sort(
            (a, b) => Number(/part-(\d+)/.exec(a)![1]) - Number(/part-(\d+)/.exec(b)![1]),
          );
          const rows = await parquetRowsPerFile(conn, written);
          beat({ step: 'counting matches, publishing files' });
          const publishing = publishOutputFiles(input.output, input.bucket, written, rows);
          const counting = (async () => (await conn.runAndReadAll(countsSql(joined))).getRowObjects()[0]!)();
          const [published, counted] = await Promise.allSettled([publishing, counting]);
          if (published.status === 'rejected') throw published.reason;
          if (counted.status === 'rejected') throw counted.reason;
          const files = published.value;
          const rowsOut = files.reduce((s, f) => s + f.rows, 0);
          beat({ step: 'done', rows: rowsOut });
          return {
            task: input.bucket,
            rowsIn: Number(counted.value.rows_in),
            matchedRows: Number(counted.value.matched),
            rowsOut,
            bytesRead: await localBytes([...ds1Locals, ...ds2Locals]),
            bytesWritten: files.reduce((s, f) => s + f.bytes, 0),
            files,
          };
        }),
      );
    },

    /** Commits the output: the new manifest, then the previous output's files and the hashed DS2 go. */
    async publishIdentityJoin(input: {
      runDate: string;
      output: string;
      files: StagedFile[];
      report: IdentityJoinReport;
    }): Promise<Pick<Manifest, 'totals'>> {
      const { report } = input;
      return whileHeartbeating(`checks of ${input.output}`, async () => {
        const checks = await checkOutput(config, {
          pipeline: 'identity-join',
          runDate: input.runDate,
          output: input.output,
          files: input.files,
          checks: deps.checks,
          report: { ...report, matchRate: report.rowsIn > 0 ? report.matchRate : null },
        });
        const manifest = await commitOutput(
          config,
          input.output,
          { pipeline: 'identity-join', runDate: input.runDate, report: { ...report, checks } },
          input.files,
        );
        return { totals: manifest.totals };
      });
    },
  };
}

export type IdentityJoinActivities = ReturnType<typeof createIdentityJoinActivities>;
