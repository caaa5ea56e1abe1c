// Datasets are the contract between pipelines (DESIGN 2.1): every pipeline declares the datasets
// it reads and the one it writes, and the DAG, the sensors and the parameter defaults follow.
// A dataset is named `raw/<name>` (landed by an upstream export) or `curated/<pipeline>` (a
// pipeline's output); its URI for a logical date is a function of the data root and that date.
import { curatedOutput, rawDataset } from './paths.js';
import { joinUri } from './storage/uri.js';

export interface Dataset {
  /** `raw/<name>` or `curated/<pipeline>`. */
  name: string;
  /** The pipeline that writes it (curated datasets), or undefined for raw ones. */
  producer?: string;
  /** Written in one `dt=<date>` partition per logical date, each published with a `_SUCCESS` manifest. */
  partitioned: boolean;
  /**
   * Whether the data of a date has a `_SUCCESS` manifest when complete (what a sensor waits for):
   * always for pipeline outputs; for a raw dataset, when its upstream export publishes one.
   */
  published: boolean;
  /** The dataset's root under the data root. */
  location(root: string): string;
  /** The data of logical date `date`: its `dt=` partition, or the whole dataset when not partitioned. */
  uri(root: string, date: string): string;
}

export interface RawDatasetOptions {
  /** `dt=<date>` partitions (the pipeline reads its date's one). Default false: read whole. */
  partitioned?: boolean;
  /** The upstream export publishes each partition with a `_SUCCESS` manifest. Default false. */
  published?: boolean;
}

/** A raw dataset under `<root>/raw/<name>`. */
export function raw(name: string, opts: RawDatasetOptions = {}): Dataset {
  const partitioned = opts.partitioned ?? false;
  if (opts.published && !partitioned)
    throw new Error(`raw/${name}: only a partitioned dataset can be published per date`);
  return {
    name: `raw/${name}`,
    partitioned,
    published: opts.published ?? false,
    location: (root) => rawDataset(root, name),
    uri: (root, date) => (partitioned ? rawDataset(root, `${name}/dt=${date}`) : rawDataset(root, name)),
  };
}

/** The output of pipeline `pipeline`: `<root>/curated/<pipeline>/dt=<date>`, published per date. */
export function pipelineOutput(pipeline: string): Dataset {
  return {
    name: `curated/${pipeline}`,
    producer: pipeline,
    partitioned: true,
    published: true,
    location: (root) => joinUri(root, 'curated', pipeline),
    uri: (root, date) => curatedOutput(root, pipeline, date),
  };
}

/**
 * A dataset from its name (`raw/<name>` or `curated/<pipeline>`), as SQL pipelines and schedules
 * write it. A raw dataset known by name only is read whole and has no manifest.
 */
export function datasetByName(name: string): Dataset {
  const m = /^(raw|curated)\/([a-z0-9][a-z0-9_-]*)$/.exec(name);
  if (!m) throw new Error(`dataset ${JSON.stringify(name)} must be raw/<name> or curated/<pipeline>`);
  return m[1] === 'raw' ? raw(m[2]!) : pipelineOutput(m[2]!);
}

/**
 * What a parameter bound to an input dataset defaults to for a run: a pipeline output's partition
 * of the date (`dt=<date>`), a raw dataset's root (a partitioned one: the pipeline picks its
 * date's partition itself, and an empty date is an empty run, not a missing input).
 */
export function inputDefault(dataset: Dataset, root: string, date: string): string {
  return dataset.producer !== undefined ? dataset.uri(root, date) : dataset.location(root);
}

/** The raw datasets the built-in pipelines read (the generators in `daybreak datagen` write them). */
export const RAW = {
  /** identity-join's DS1: date-partitioned visitor events, each partition published by its export. */
  visitorEvents: raw('visitor_events', { partitioned: true, published: true }),
  /** identity-join's DS2: the LiveRamp mapping (visitor_id, lvr_id, pii, ip). */
  liveramp: raw('liveramp'),
  userActivity: raw('user_activity'),
  userProfile: raw('user_profile'),
  /** The customer records of DESIGN 3.0 (model-scoring and feature-sync). */
  customerRecords: raw('customer_records'),
} as const;

/** The folder of a raw dataset under `<root>/raw/` (what a generator writes). */
export function rawFolder(dataset: Dataset): string {
  if (!dataset.name.startsWith('raw/')) throw new Error(`${dataset.name} is not a raw dataset`);
  return dataset.name.slice('raw/'.length);
}
