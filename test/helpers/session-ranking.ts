// Helpers for session-ranking tests: tiny hand-made Parquet inputs written with DuckDB, a run
// through the real worker, the published outputs read back, and an independent computation of
// the expected ranking in plain TypeScript (no SQL beyond `SELECT *`).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config.js';
import { sqlString, withDuckDB } from '../../lib/duckdb.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import { publishedFile } from '../../lib/storage/publish.js';
import {
  MONTHS,
  type MonthRanking,
  type SessionRankingResult,
} from '../../activities/session-ranking/types.js';

export interface SessionRow {
  id: number | null;
  /** ISO-like timestamp 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC) or null. */
  begin: string | null;
  end: string | null;
}

export interface ProfileRow {
  id: number;
  level: string;
}

const sqlTs = (v: string | null) => (v === null ? 'NULL::TIMESTAMP' : `TIMESTAMP ${sqlString(v)}`);

async function writeWithDuckDB(file: string, select: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await withDuckDB({ scratchDir: path.join(path.dirname(file), '.duckdb-tmp') }, async (conn) => {
    await conn.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet)`);
  });
  await fs.rm(path.join(path.dirname(file), '.duckdb-tmp'), { recursive: true, force: true });
}

/** Writes a user_activity Parquet file `(id BIGINT, session_begin TIMESTAMP, session_end TIMESTAMP)`. */
export async function writeActivity(file: string, rows: SessionRow[]): Promise<void> {
  const values = rows
    .map((r) => `(${r.id === null ? 'NULL' : r.id}::BIGINT, ${sqlTs(r.begin)}, ${sqlTs(r.end)})`)
    .join(',\n');
  await writeWithDuckDB(file, `SELECT * FROM (VALUES ${values}) t(id, session_begin, session_end)`);
}

/** Writes a user_profile Parquet file `(id BIGINT, join_date DATE, level VARCHAR)`. */
export async function writeProfile(file: string, rows: ProfileRow[]): Promise<void> {
  const values = rows.map((r) => `(${r.id}::BIGINT, DATE '2020-01-01', ${sqlString(r.level)})`).join(',\n');
  await writeWithDuckDB(file, `SELECT * FROM (VALUES ${values}) t(id, join_date, level)`);
}

/** Runs session-ranking to completion through the worker polling `config`'s task queue. */
export async function runSessionRanking(
  client: Client,
  config: Config,
  runDate: string,
  rawParams: Record<string, string>,
): Promise<SessionRankingResult> {
  const handle = await startRun({ client, config, pipeline: 'session-ranking', runDate, rawParams });
  return waitForRun<SessionRankingResult>(handle);
}

export interface RankingRow {
  year: number;
  month: number;
  rank: number;
  user_id: string;
  total_seconds: number;
}

/** The published ranking.json and ranking.parquet of an output prefix (the files its manifest lists). */
export async function readPublished(output: string): Promise<{ json: MonthRanking; rows: RankingRow[] }> {
  const [jsonFile, parquetFile] = await Promise.all([
    publishedFile(output, 'ranking.json'),
    publishedFile(output, 'ranking.parquet'),
  ]);
  if (!jsonFile || !parquetFile) throw new Error(`${output} has no published ranking`);
  const json = JSON.parse(await fs.readFile(jsonFile, 'utf8')) as MonthRanking;
  const rows = await withDuckDB({ scratchDir: path.join(output, '..', '.read-tmp') }, async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT * FROM read_parquet(${sqlString(parquetFile)}) ORDER BY month, rank`,
    );
    return reader.getRowObjectsJS().map((r) => ({
      year: Number(r.year),
      month: Number(r.month),
      rank: Number(r.rank),
      user_id: String(r.user_id),
      total_seconds: Number(r.total_seconds),
    }));
  });
  return { json, rows };
}

/** Every row of the Parquet files under `dir`, read back with a plain `SELECT *`. */
export async function readAllRows(dir: string): Promise<Record<string, unknown>[]> {
  return withDuckDB({ scratchDir: path.join(dir, '..', '.read-tmp') }, async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT * FROM read_parquet(${sqlString(path.join(dir, '**', '*.parquet'))})`,
    );
    return reader.getRowObjects() as Record<string, unknown>[];
  });
}

export interface Expected {
  ranking: MonthRanking;
  /** Total microseconds per ranked user, month by month (same order as `ranking`). */
  totals: Record<string, bigint[]>;
  year: number;
  inputRows: number;
  rejectedRows: number;
}

const micros = (v: unknown): bigint | null => (v instanceof DuckDBTimestampValue ? v.micros : null);

/**
 * The ranking computed independently in TypeScript from raw rows: expert = any profile row says
 * 'expert'; duration = end - begin (exact, microseconds); null or negative rejected; month and
 * year of session_begin (UTC); default year = latest year of a valid session; ties by id ascending.
 */
export function expectedRanking(
  activity: Record<string, unknown>[],
  profile: Record<string, unknown>[],
  opts: { year?: number; top?: number } = {},
): Expected {
  const top = opts.top ?? 10;
  const experts = new Set<bigint>();
  for (const p of profile) if (p.level === 'expert') experts.add(BigInt(p.id as bigint | number));
  let rejectedRows = 0;
  let latestYear: number | undefined;
  const valid: { id: bigint; year: number; month: number; us: bigint }[] = [];
  for (const row of activity) {
    const b = micros(row.session_begin);
    const e = micros(row.session_end);
    if (b === null || e === null || e < b) {
      rejectedRows++;
      continue;
    }
    const date = new Date(Number(b / 1000n));
    const year = date.getUTCFullYear();
    latestYear = latestYear === undefined ? year : Math.max(latestYear, year);
    if (row.id === null || row.id === undefined) continue;
    valid.push({ id: BigInt(row.id as bigint | number), year, month: date.getUTCMonth(), us: e - b });
  }
  const year = opts.year ?? latestYear!;
  const perMonth = MONTHS.map(() => new Map<bigint, bigint>());
  for (const s of valid) {
    if (s.year !== year || !experts.has(s.id)) continue;
    const m = perMonth[s.month]!;
    m.set(s.id, (m.get(s.id) ?? 0n) + s.us);
  }
  const ranking = {} as MonthRanking;
  const totals: Record<string, bigint[]> = {};
  MONTHS.forEach((name, i) => {
    const sorted = [...perMonth[i]!.entries()]
      .sort(([ida, a], [idb, b]) => (a !== b ? (a > b ? -1 : 1) : ida < idb ? -1 : ida > idb ? 1 : 0))
      .slice(0, top);
    ranking[name] = sorted.map(([id]) => id.toString());
    totals[name] = sorted.map(([, us]) => us);
  });
  return { ranking, totals, year, inputRows: activity.length, rejectedRows };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM (drain) and wait for exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The repository root, where bin/daybreak.js lives. */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Starts `node bin/daybreak.js worker` as a separate process with `config` (plus `extraEnv`). */
export function spawnWorker(config: Config, extraEnv: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'daybreak.js'), 'worker'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
      TEMPORAL_CLI: config.TEMPORAL_CLI ?? '',
      DAYBREAK_TASK_QUEUE: config.DAYBREAK_TASK_QUEUE,
      DAYBREAK_DATA_ROOT: config.DAYBREAK_DATA_ROOT,
      DAYBREAK_SCRATCH_DIR: config.DAYBREAK_SCRATCH_DIR,
      DAYBREAK_DUCKDB_THREADS: '1',
      // No metrics servers: several workers share this machine and its ports.
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return {
    child,
    stderr: () => err,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `count` distinct workers poll the task queue for activities. */
export async function waitForActivityPollers(
  client: Client,
  taskQueue: string,
  count: number,
  timeoutMs = 60_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 2, // TASK_QUEUE_TYPE_ACTIVITY
    });
    const identities = [...new Set((res.pollers ?? []).map((p) => p.identity ?? ''))];
    if (identities.length >= count) return identities;
    if (Date.now() > deadline)
      throw new Error(
        `only ${identities.length} of ${count} workers poll ${taskQueue} after ${timeoutMs} ms`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
