// Sample data for `daybreak up`: every raw dataset the daily DAG reads, at each pipeline's default
// location, generated only where a dataset is absent (a dataset already there, generated or the
// user's own, is left alone). identity-join's visitor events get the run date's partition and its
// `_SUCCESS` manifest, as an upstream export would publish them, so its sensor is satisfied.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sqlString, withDuckDB } from '../lib/duckdb.js';
import { rawDataset } from '../lib/paths.js';
import { resolveDataset } from '../lib/storage/index.js';
import { commitOutput, describeLocalFile } from '../lib/storage/manifest.js';
import { generateCustomers } from '../datagen/customers.js';
import { generateIdentityJoin } from '../datagen/identity-join.js';
import { generateSessionRanking } from '../datagen/session-ranking.js';

/** Small enough to generate and run in seconds, large enough that every pipeline has real work. */
export const SAMPLE_SIZES = {
  sessions: 200_000,
  users: 20_000,
  visitorEvents: 100_000,
  visitors: 20_000,
  customerRecords: 20_000,
} as const;

const SEED = 1;

export interface SampleDataOptions {
  /** A local data root (DAYBREAK_DATA_ROOT). */
  dataRoot: string;
  runDate: string;
  /** Generate only what these pipelines read (default: every pipeline's data). */
  pipelines?: readonly string[];
  log: (line: string) => void;
}

/** The raw datasets each pipeline reads by default (until pipelines declare their inputs). */
const READS: Record<string, string[]> = {
  'session-ranking': ['user_activity', 'user_profile'],
  'identity-join': ['visitor_events', 'liveramp'],
  'model-scoring': ['customer_records'],
  'feature-sync': ['customer_records'],
};

async function present(uri: string): Promise<boolean> {
  return (await resolveDataset(uri)).length > 0;
}

/** A scratch folder beside the data root, so moving its results into place is a rename. */
async function scratchUnder(dataRoot: string, fn: (dir: string) => Promise<void>): Promise<void> {
  await fs.mkdir(dataRoot, { recursive: true });
  const dir = await fs.mkdtemp(path.join(dataRoot, '.sample-'));
  try {
    await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function moveInto(from: string, to: string): Promise<void> {
  await fs.rm(to, { recursive: true, force: true });
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.rename(from, to);
}

/** Publishes a local partition with its manifest: the files' rows, sizes and checksums. */
async function publishPartition(dir: string, runDate: string): Promise<void> {
  const names = (await fs.readdir(dir)).filter((f) => f.endsWith('.parquet')).sort();
  const rows = await withDuckDB({ scratchDir: os.tmpdir(), threads: 1 }, async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT parse_filename(filename) AS name, count(*)::BIGINT AS n
         FROM read_parquet(${sqlString(path.join(dir, '*.parquet'))}, filename = true) GROUP BY 1`,
    );
    return new Map(reader.getRowObjects().map((r) => [String(r.name), Number(r.n)]));
  });
  const files = await Promise.all(
    names.map((n) => describeLocalFile(path.join(dir, n), n, rows.get(n) ?? 0)),
  );
  await commitOutput(dir, { pipeline: 'sample-data', runDate }, files);
}

const count = (n: number) => n.toLocaleString('en');

/** Generates what is missing; returns the datasets it generated (empty when all were there). */
export async function ensureSampleData(opts: SampleDataOptions): Promise<string[]> {
  const { dataRoot, runDate, log } = opts;
  const raw = (name: string) => rawDataset(dataRoot, name);
  const wanted = new Set((opts.pipelines ?? Object.keys(READS)).flatMap((p) => READS[p] ?? []));
  const generated: string[] = [];

  if (
    (wanted.has('user_activity') && !(await present(raw('user_activity')))) ||
    (wanted.has('user_profile') && !(await present(raw('user_profile'))))
  ) {
    log(
      `generating session-ranking sample data: ${count(SAMPLE_SIZES.sessions)} sessions of ${count(SAMPLE_SIZES.users)} users`,
    );
    await scratchUnder(dataRoot, async (dir) => {
      const gen = await generateSessionRanking({
        rows: SAMPLE_SIZES.sessions,
        users: SAMPLE_SIZES.users,
        seed: SEED,
        out: dir,
      });
      await moveInto(gen.activityDir, raw('user_activity'));
      await moveInto(gen.profileDir, raw('user_profile'));
    });
    generated.push('user_activity', 'user_profile');
  }

  const partition = path.join(raw('visitor_events'), `dt=${runDate}`);
  const needEvents = wanted.has('visitor_events') && !(await present(partition));
  const needLiveRamp = wanted.has('liveramp') && !(await present(raw('liveramp')));
  if (needEvents || needLiveRamp) {
    const what = [
      needEvents ? `${count(SAMPLE_SIZES.visitorEvents)} visitor events for ${runDate}` : '',
      needLiveRamp ? `LiveRamp mappings of ${count(SAMPLE_SIZES.visitors)} visitors` : '',
    ].filter(Boolean);
    log(`generating identity-join sample data: ${what.join(', ')}`);
    await scratchUnder(dataRoot, async (dir) => {
      // Same seed and visitors every time: a later date's events match the LiveRamp kept from before.
      const gen = await generateIdentityJoin({
        rows: SAMPLE_SIZES.visitorEvents,
        visitors: SAMPLE_SIZES.visitors,
        seed: SEED,
        out: dir,
        days: 1,
        startDate: runDate,
      });
      if (needLiveRamp) await moveInto(gen.ds2Dir, raw('liveramp'));
      if (needEvents) await moveInto(path.join(gen.ds1Dir, `dt=${runDate}`), partition);
    });
    if (needEvents) {
      await publishPartition(partition, runDate);
      generated.push(`visitor_events/dt=${runDate}`);
    }
    if (needLiveRamp) generated.push('liveramp');
  }

  if (wanted.has('customer_records') && !(await present(raw('customer_records')))) {
    log(
      `generating model-scoring and feature-sync sample data: ${count(SAMPLE_SIZES.customerRecords)} customer records`,
    );
    await scratchUnder(dataRoot, async (dir) => {
      const gen = await generateCustomers({
        records: SAMPLE_SIZES.customerRecords,
        seed: SEED,
        out: dir,
        asOf: runDate,
      });
      await moveInto(gen.recordsDir, raw('customer_records'));
    });
    generated.push('customer_records');
  }
  return generated;
}
