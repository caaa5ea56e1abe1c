// A shuffle for joins and aggregations larger than a task's memory (docs/scaling.md). Map tasks
// read each input file group once, a batch of files at a time, and write its rows partitioned by
// the stable bucket of a key (lib/buckets.ts) under the run's work prefix; then one reduce task per
// bucket reads only that bucket's partitions of each input (listBucketPartitions). No task holds
// more than one bucket, and no input file is read twice.
//
// Layout: <work>/shuffle/<input>/bucket=<bbbbb>/g<ggggg>-b<bbbbb>.parquet: one file per (map
// batch, bucket with rows). A retried batch overwrites exactly the files a killed attempt may have
// written, so a bucket's listing never holds stale or duplicate rows. Map tasks heartbeat after
// each batch; a retry resumes after the last batch its predecessor reported. Before it writes, a
// map checks that its DuckDB computes the plan's bucket hash as pinned (requirePinnedHash).
//
// Partitions are lz4-compressed Parquet V2 (PARTITION_FORMAT): snappy cost more CPU than its
// smaller files saved; lz4 costs about what uncompressed does and writes a third of the bytes.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import {
  bucketHashCheckSql,
  CURRENT_BUCKET_HASH,
  DUCKDB_V1_PROBES,
  keyBucketSql,
  SHUFFLE_BUCKET_HASH,
  type BucketHash,
} from '../../lib/buckets.js';
import { sqlFileList, sqlString } from '../../lib/duckdb.js';
import type { Config } from '../../lib/config.js';
import { joinUri, resolveDataset, storageFor, type ObjectInfo } from '../../lib/storage/index.js';
import { autoShards } from '../../lib/shards.js';
import { batchFiles, groupByTarget } from './grouping.js';
import { previousHeartbeat } from './heartbeat.js';
import { configTaskMemory } from './memory.js';
import { withDuckDBTask, type DuckDBTask } from './task.js';
import { stageAll } from './staging.js';

/** Input bytes and files one map query reads together (the unit a retry resumes from). */
export const SHUFFLE_BATCH_BYTES = 512 * 1024 * 1024;
export const SHUFFLE_BATCH_FILES = 8;

/**
 * Parquet options of the partition files: lz4_raw with V2 encodings, ~3x smaller than
 * uncompressed for the same CPU. Written once and read once, but every byte is page cache (local)
 * or upload and download (GCS): uncompressed, the kernel's dirty-page work nearly doubled the
 * reduce's system time (BENCHMARKS.md).
 */
const PARTITION_FORMAT = 'COMPRESSION lz4_raw, PARQUET_VERSION V2';

/** The partition column of the map's COPY (a folder name only, never a column of the files). */
const BUCKET_COLUMN = '__daybreak_bucket';

/**
 * Buckets so that one bucket's in-memory state (a join's hash table, a grouping's groups:
 * `memoryBytes` in all) takes at most half a task's memory; the other half is the query's working
 * memory and its output's buffers. The planners of identity-join and of SQL pipelines use it.
 */
export function bucketsForMemory(memoryBytes: number, taskMemoryBytes: number): number {
  return autoShards(memoryBytes, taskMemoryBytes / 2);
}

async function computesAsPinned(
  conn: DuckDBConnection,
  hash: BucketHash,
  pinned = DUCKDB_V1_PROBES,
): Promise<boolean> {
  return (await conn.runAndReadAll(bucketHashCheckSql(hash, pinned))).getRowObjects()[0]!.ok === true;
}

let planningHash: Promise<BucketHash> | undefined;

/**
 * The bucket hash a new shuffle plan records: SHUFFLE_BUCKET_HASH when this process's DuckDB
 * computes it as pinned (lib/buckets.ts), else md5 (a DuckDB release that hashes differently
 * slows the maps down; it never splits a run's buckets). Checked once per process.
 */
export function shufflePlanHash(): Promise<BucketHash> {
  planningHash ??= (async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      return (await computesAsPinned(conn, SHUFFLE_BUCKET_HASH)) ? SHUFFLE_BUCKET_HASH : CURRENT_BUCKET_HASH;
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  })().catch((err: unknown) => {
    planningHash = undefined; // a failed check (e.g. out of memory) is asked again by the next plan
    throw err;
  });
  return planningHash;
}

/**
 * Refuses to write partitions under a hash this worker's DuckDB computes differently from the
 * plan's (a rolling upgrade): its rows would land in other buckets than the other maps' and the
 * join would miss them. Retryable: a worker on the planner's DuckDB can still run the task.
 */
export async function requirePinnedHash(
  conn: DuckDBConnection,
  hash: BucketHash,
  label: string,
  pinned = DUCKDB_V1_PROBES,
): Promise<void> {
  if (await computesAsPinned(conn, hash, pinned)) return;
  const version = (await conn.runAndReadAll('SELECT version() AS v')).getRowObjects()[0]!.v;
  throw ApplicationFailure.create({
    type: 'BucketHashMismatch',
    message: `${label}: this worker's DuckDB ${String(version)} computes the plan's bucket hash '${hash}' differently from the one it was planned with; a worker on that DuckDB must run it (or re-run the date)`,
  });
}

/** An input's files as map groups of about `groupBytes`, each split into batches. */
export function shuffleMapGroups(files: ObjectInfo[], groupBytes: number): string[][][] {
  if (files.length === 0) return [];
  const sizes = new Map(files.map((f) => [f.uri, f.size]));
  return groupByTarget(files, groupBytes).map((uris) =>
    batchFiles(
      uris.map((uri) => ({ uri, size: sizes.get(uri)! })),
      SHUFFLE_BATCH_BYTES,
      SHUFFLE_BATCH_FILES,
    ),
  );
}

/**
 * Where one input's partitions of one bucket live. Fixed width, so listing bucket 1's prefix on an
 * object store never also returns bucket 10's objects.
 */
export function partitionPrefix(workUri: string, input: string, bucket: number): string {
  return joinUri(workUri, 'shuffle', input, `bucket=${String(bucket).padStart(5, '0')}`);
}

export function partitionName(group: number, batch: number): string {
  return `g${String(group).padStart(5, '0')}-b${String(batch).padStart(5, '0')}.parquet`;
}

/** The partition files of one bucket of one input, sorted (empty when no map wrote any). */
export async function listBucketPartitions(
  workUri: string,
  input: string,
  bucket: number,
): Promise<string[]> {
  return (await resolveDataset(partitionPrefix(workUri, input, bucket))).map((o) => o.uri);
}

/**
 * Buffers of a partitioned write that fit a task's memory. DuckDB buffers rows per thread before
 * it hands them to the partitions' writers (the flush threshold), and each open partition holds a
 * row group until it is full: left at their defaults (524,288 rows; 122,880 rows) with 16 buckets
 * under a 256 MB limit the write spilled and took twice the CPU. Half the memory goes to the open
 * row groups and a quarter to the threads' buffers (rows assumed at most ~512 bytes; wider rows
 * spill, slower but correct). All buckets stay open, so each batch writes one file per bucket.
 */
export function partitionedWriteSettings(opts: { memoryBytes: number; buckets: number; threads: number }): {
  flushRows: number;
  rowGroupBytes: number;
  maxOpenFiles: number;
} {
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.floor(v)));
  return {
    flushRows: clamp(opts.memoryBytes / 4 / Math.max(1, opts.threads) / 512, 2_048, 524_288),
    rowGroupBytes: clamp(opts.memoryBytes / 2 / opts.buckets, 256 * 1024, 64 * 1024 ** 2),
    maxOpenFiles: Math.max(100, opts.buckets),
  };
}

/**
 * Row-group bytes of a reduce task's Parquet output. A bucket's hash table takes up to half the
 * task's memory, and every writing thread buffers a row group (122,880 rows by default, ~25 MB of
 * joined rows): under a 128 MB limit with 2 threads that ran out of memory; with a thirty-second
 * of the memory per row group it finished (BENCHMARKS.md).
 */
export function reduceRowGroupBytes(memoryBytes: number): number {
  return Math.max(1024 ** 2, Math.min(64 * 1024 ** 2, Math.floor(memoryBytes / 32)));
}

/** Writes `rowsSql`'s rows to `<outDir>/<bucket column>=<b>/` by the bucket of `key`. */
export function partitionedCopySql(opts: {
  rowsSql: string;
  key: string;
  buckets: number;
  bucketHash: BucketHash;
  outDir: string;
  rowGroupBytes: number;
}): string {
  return `COPY (
      SELECT *, ${keyBucketSql(opts.key, opts.buckets, opts.bucketHash)} AS ${BUCKET_COLUMN}
      FROM (${opts.rowsSql})
    ) TO ${sqlString(opts.outDir)} (FORMAT parquet, ${PARTITION_FORMAT}, PARTITION_BY (${BUCKET_COLUMN}),
      ROW_GROUP_SIZE_BYTES ${opts.rowGroupBytes})`;
}

/** What one map task shuffles: which input, its batches, and the buckets to write. */
export interface ShuffleMapTask {
  /** The input's name (its folder under <work>/shuffle). */
  input: string;
  group: number;
  groups: number;
  batches: string[][];
  buckets: number;
  bucketHash: BucketHash;
  workUri: string;
}

/** How one input's rows are read from a batch of staged files. */
export interface ShuffleSource {
  /** Checks a batch's staged files (bad input fails here, naming the file by its URI). */
  check(conn: DuckDBConnection, locals: string[], uris: string[]): Promise<void>;
  /** The rows to shuffle from a batch's staged files. */
  rowsSql(locals: string[]): string;
  /** The key column of those rows; a null key goes to the bucket of ''. */
  key: string;
}

export interface ShuffleMapResult {
  /** Rows written to partitions. */
  rows: number;
  /** Input bytes the map read (its predecessors' finished batches included, each once). */
  bytesRead: number;
  filesRead: number;
  /** Files finished by a killed predecessor and not read again. */
  filesResumed: number;
  partitionFiles: number;
  partitionBytes: number;
  /** DuckDB reading, bucketing and writing the partitions locally. */
  queryMs: number;
  /** Moving the partitions to the work prefix (a rename locally, an upload to GCS). */
  writeMs: number;
}

type MapProgress = Omit<ShuffleMapResult, 'filesResumed'> & { batchesDone: number; status?: string };

const NOTHING_DONE: MapProgress = {
  batchesDone: 0,
  rows: 0,
  bytesRead: 0,
  filesRead: 0,
  partitionFiles: 0,
  partitionBytes: 0,
  queryMs: 0,
  writeMs: 0,
};

/** Runs one map task (inside its activity): batch by batch, resuming after a killed predecessor. */
export async function runShuffleMap(
  config: Config,
  task: ShuffleMapTask,
  source: ShuffleSource,
): Promise<ShuffleMapResult> {
  const previous = previousHeartbeat<Partial<MapProgress>>();
  const done: MapProgress = { ...NOTHING_DONE, ...previous, status: undefined };
  const files = task.batches.reduce((n, b) => n + b.length, 0);
  const label = `${task.input} map ${task.group + 1}/${task.groups}`;
  return withDuckDBTask(
    config,
    {
      label: `shuffle-${task.input}-${task.group}`,
      heartbeat: { ...done, status: `${label}: starting at file ${done.filesRead + 1}/${files}` },
    },
    async ({ scratch, conn, heartbeat }: DuckDBTask<MapProgress>) => {
      await requirePinnedHash(conn, task.bucketHash, label);
      const settings = partitionedWriteSettings({
        memoryBytes: configTaskMemory(config),
        buckets: task.buckets,
        threads: config.DAYBREAK_DUCKDB_THREADS,
      });
      await conn.run(`SET partitioned_write_flush_threshold = ${settings.flushRows}`);
      await conn.run(`SET partitioned_write_max_open_files = ${settings.maxOpenFiles}`);
      const state = { ...done };
      for (let b = done.batchesDone; b < task.batches.length; b++) {
        const uris = task.batches[b]!;
        const batchDir = path.join(scratch, `batch-${b}`);
        await fs.mkdir(batchDir, { recursive: true });
        const locals = await stageAll(uris, path.join(batchDir, 'in'));
        await source.check(conn, locals, uris);
        const outDir = path.join(batchDir, 'out');
        const queryStart = Date.now();
        await conn.run(
          partitionedCopySql({
            rowsSql: source.rowsSql(locals),
            key: source.key,
            buckets: task.buckets,
            bucketHash: task.bucketHash,
            outDir,
            rowGroupBytes: settings.rowGroupBytes,
          }),
        );
        const queryEnd = Date.now();
        const written = await movePartitions(conn, outDir, task, b);
        state.queryMs += queryEnd - queryStart;
        state.writeMs += Date.now() - queryEnd;
        for (const local of locals) state.bytesRead += (await fs.stat(local)).size;
        await fs.rm(batchDir, { recursive: true, force: true });
        state.rows += written.rows;
        state.partitionFiles += written.files;
        state.partitionBytes += written.bytes;
        state.filesRead += uris.length;
        state.batchesDone = b + 1;
        heartbeat.beat({
          ...state,
          status: `${label}: file ${state.filesRead}/${files}, ${state.rows.toLocaleString('en-US')} rows`,
        });
      }
      const { batchesDone: _b, status: _s, ...result } = state;
      return { ...result, filesResumed: done.filesRead };
    },
  );
}

/**
 * The one file of a partition folder. DuckDB writes one per partition while all partitions stay
 * open (partitionedWriteSettings); should it ever write more, they are merged, so that a batch's
 * files keep their deterministic names.
 */
async function onePartitionFile(conn: DuckDBConnection, dir: string): Promise<string> {
  const files = (await fs.readdir(dir)).sort().map((f) => path.join(dir, f));
  if (files.length === 1) return files[0]!;
  const merged = path.join(path.dirname(dir), `${path.basename(dir)}.parquet`);
  await conn.run(
    `COPY (SELECT * FROM read_parquet(${sqlFileList(files)}, hive_partitioning = false))
      TO ${sqlString(merged)} (FORMAT parquet, ${PARTITION_FORMAT})`,
  );
  return merged;
}

/** Moves one batch's partition files to their places under the work prefix, a few at a time. */
async function movePartitions(
  conn: DuckDBConnection,
  outDir: string,
  task: ShuffleMapTask,
  batch: number,
): Promise<{ rows: number; files: number; bytes: number }> {
  let dirs: string[];
  try {
    dirs = (await fs.readdir(outDir)).filter((d) => d.startsWith(`${BUCKET_COLUMN}=`)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rows: 0, files: 0, bytes: 0 }; // no rows
    throw err;
  }
  const moves: { local: string; target: string }[] = [];
  for (const dir of dirs) {
    const bucket = Number(dir.slice(BUCKET_COLUMN.length + 1));
    moves.push({
      local: await onePartitionFile(conn, path.join(outDir, dir)),
      target: joinUri(partitionPrefix(task.workUri, task.input, bucket), partitionName(task.group, batch)),
    });
  }
  if (moves.length === 0) return { rows: 0, files: 0, bytes: 0 };
  const counted = await conn.runAndReadAll(
    `SELECT sum(num_rows) AS n FROM parquet_file_metadata(${sqlFileList(moves.map((m) => m.local))})`,
  );
  const rows = Number(counted.getRowObjects()[0]!.n);
  let bytes = 0;
  let next = 0;
  const lane = async () => {
    while (next < moves.length) {
      const { local, target } = moves[next++]!;
      const { size } = await fs.stat(local); // not `bytes += await`: the lanes would lose updates
      bytes += size;
      await storageFor(target).putFile(local, target);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, moves.length) }, lane));
  return { rows, files: moves.length, bytes };
}
