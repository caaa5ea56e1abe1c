// Sample data for `daybreak up`: the raw datasets the pipelines it runs declare as inputs, at their
// locations under the data root, generated only where one is absent (a dataset already there,
// generated or the user's own, is left alone). A published raw dataset (identity-join's visitor
// events) gets the run date's partition and its `_SUCCESS` manifest, as its upstream export would
// publish it, so the sensor that waits for it is satisfied.
import fs from 'node:fs/promises';
import path from 'node:path';
import { RAW, type Dataset } from '../lib/datasets.js';
import { resolveDataset } from '../lib/storage/index.js';
import { generateCustomers } from '../datagen/customers.js';
import { generateIdentityJoin } from '../datagen/identity-join.js';
import { generateSessionRanking } from '../datagen/session-ranking.js';
import { publishGeneratedPartition } from '../datagen/publish.js';

/** Small enough to generate and run in seconds, large enough that every pipeline has real work. */
export const SAMPLE_SIZES = {
  sessions: 200_000,
  users: 20_000,
  visitorEvents: 100_000,
  visitors: 20_000,
  customerRecords: 20_000,
} as const;

/** Same seed every time: a later date's visitor events match the LiveRamp mapping kept from before. */
const SEED = 1;

const count = (n: number) => n.toLocaleString('en');

interface SampleGenerator {
  /** The datasets one run of the generator writes, with what each holds (for the log line). */
  writes: { dataset: Dataset; holds: string }[];
  /** Generates into `dir`; returns where each dataset's data for the date is, by dataset name. */
  generate(dir: string, runDate: string): Promise<Record<string, string>>;
}

const GENERATORS: SampleGenerator[] = [
  {
    writes: [
      { dataset: RAW.userActivity, holds: `${count(SAMPLE_SIZES.sessions)} sessions` },
      { dataset: RAW.userProfile, holds: `${count(SAMPLE_SIZES.users)} users` },
    ],
    async generate(dir) {
      const gen = await generateSessionRanking({
        rows: SAMPLE_SIZES.sessions,
        users: SAMPLE_SIZES.users,
        seed: SEED,
        out: dir,
      });
      return { [RAW.userActivity.name]: gen.activityDir, [RAW.userProfile.name]: gen.profileDir };
    },
  },
  {
    writes: [
      { dataset: RAW.visitorEvents, holds: `${count(SAMPLE_SIZES.visitorEvents)} events of the day` },
      { dataset: RAW.liveramp, holds: `mappings of ${count(SAMPLE_SIZES.visitors)} visitors` },
    ],
    async generate(dir, runDate) {
      const gen = await generateIdentityJoin({
        rows: SAMPLE_SIZES.visitorEvents,
        visitors: SAMPLE_SIZES.visitors,
        seed: SEED,
        out: dir,
        days: 1,
        startDate: runDate,
      });
      return {
        [RAW.visitorEvents.name]: path.join(gen.ds1Dir, `dt=${runDate}`),
        [RAW.liveramp.name]: gen.ds2Dir,
      };
    },
  },
  {
    writes: [{ dataset: RAW.customerRecords, holds: `${count(SAMPLE_SIZES.customerRecords)} records` }],
    async generate(dir, runDate) {
      const gen = await generateCustomers({
        records: SAMPLE_SIZES.customerRecords,
        seed: SEED,
        out: dir,
        asOf: runDate,
      });
      return { [RAW.customerRecords.name]: gen.recordsDir };
    },
  },
];

export interface SampleDataOptions {
  /** A local data root (DAYBREAK_DATA_ROOT). */
  dataRoot: string;
  runDate: string;
  /** The raw datasets to provide (what the pipelines to run read). */
  datasets: readonly Dataset[];
  log: (line: string) => void;
}

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

/** Generates what is missing; returns the names of the datasets it generated. */
export async function ensureSampleData(opts: SampleDataOptions): Promise<string[]> {
  const { dataRoot, runDate, log } = opts;
  const where = (d: Dataset) => d.uri(dataRoot, runDate);
  const missing: Dataset[] = [];
  for (const d of opts.datasets) if (!(await present(where(d)))) missing.push(d);
  const generated: string[] = [];
  for (const generator of GENERATORS) {
    const writes = generator.writes.filter((w) => missing.some((d) => d.name === w.dataset.name));
    if (!writes.length) continue;
    log(
      `generating sample data: ${writes
        .map((w) => `${w.dataset.name}${w.dataset.partitioned ? ` dt=${runDate}` : ''} (${w.holds})`)
        .join(', ')}`,
    );
    await scratchUnder(dataRoot, async (dir) => {
      const made = await generator.generate(dir, runDate);
      for (const { dataset } of writes) await moveInto(made[dataset.name]!, where(dataset));
    });
    for (const { dataset } of writes) {
      if (dataset.published)
        await publishGeneratedPartition(where(dataset), { pipeline: 'sample-data', runDate });
      generated.push(dataset.name);
    }
  }
  for (const d of missing)
    if (!generated.includes(d.name))
      log(`${d.name} is empty and has no sample generator: add data at ${where(d)}`);
  return generated;
}
