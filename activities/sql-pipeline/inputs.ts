// Finding a SQL pipeline's inputs for the run date: another pipeline's output is read through its
// `_SUCCESS` manifest (only the files it lists), a dataset through its `dt=<date>` folder (or all
// of it when unpartitioned), an explicit path as it is. A missing partition is MissingInput.
import { missingInput } from '../../lib/errors.js';
import type { SqlInputLocation } from '../../lib/sql-pipelines/params.js';
import { joinUri, resolveDataset, type ObjectInfo } from '../../lib/storage/index.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { publishedPartitions } from '../common/previous-output.js';
import type { PlannedInput } from './types.js';

export { publishedPartitions };

const PARTITION = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})(?:\/|$)/;

function planned(
  loc: SqlInputLocation,
  uri: string,
  objects: ObjectInfo[],
  extra: Partial<PlannedInput> = {},
): PlannedInput {
  return {
    dataset: loc.dataset,
    uri,
    files: objects,
    bytes: objects.reduce((s, o) => s + o.size, 0),
    ...extra,
  };
}

/** The Parquet files a manifest lists, with their sizes. */
async function manifestFiles(
  prefix: string,
): Promise<{ objects: ObjectInfo[]; createdAt: string } | undefined> {
  const manifest = await readManifest(prefix);
  if (!manifest) return undefined;
  return {
    objects: manifest.files
      .filter((f) => f.name.endsWith('.parquet'))
      .map((f) => ({ uri: joinUri(prefix, f.name), size: f.bytes })),
    createdAt: manifest.createdAt,
  };
}

/**
 * Columns for an input whose partition has no files (a day without events): the files of the
 * newest other published partition that has some.
 */
async function schemaFromOtherPartitions(
  name: string,
  loc: SqlInputLocation,
  partitionUri: string,
): Promise<string[]> {
  const root = partitionUri.replace(/\/dt=[^/]+\/?$/, '');
  for (const date of await publishedPartitions(root)) {
    const found = await manifestFiles(joinUri(root, `dt=${date}`));
    if (found?.objects.length) return [found.objects.reduce((a, b) => (b.size < a.size ? b : a)).uri];
  }
  throw missingInput(
    `input ${name} (${loc.dataset}): ${partitionUri} is published with no files, and no other partition has any to take its columns from`,
  );
}

export async function planInput(name: string, loc: SqlInputLocation, runDate: string): Promise<PlannedInput> {
  const what = `input ${name} (${loc.dataset})`;
  // A published prefix (another pipeline's output for the date, or an override naming one).
  const published = await manifestFiles(loc.uri);
  if (published) {
    const extra: Partial<PlannedInput> = {
      partition: partitionDate(loc.uri),
      manifestCreatedAt: published.createdAt,
    };
    if (published.objects.length === 0)
      extra.schemaFiles = await schemaFromOtherPartitions(name, loc, loc.uri);
    return planned(loc, loc.uri, published.objects, extra);
  }
  if (loc.fromPipeline && partitionDate(loc.uri) !== undefined) {
    // Files without a manifest are a run in progress or a failed one: never read them.
    throw missingInput(
      `${what}: no published output for ${runDate}: ${joinUri(loc.uri, '_SUCCESS')} does not exist`,
    );
  }
  if (!loc.fromPipeline) {
    const partitionUri = joinUri(loc.uri, `dt=${runDate}`);
    const partition = await manifestFiles(partitionUri);
    if (partition) {
      const extra: Partial<PlannedInput> = { partition: runDate, manifestCreatedAt: partition.createdAt };
      if (partition.objects.length === 0)
        extra.schemaFiles = await schemaFromOtherPartitions(name, loc, partitionUri);
      return planned(loc, partitionUri, partition.objects, extra);
    }
    const files = await resolveDataset(partitionUri);
    if (files.length) return planned(loc, partitionUri, files, { partition: runDate });
  }
  const all = await resolveDataset(loc.uri);
  if (all.some((o) => PARTITION.test(o.uri.slice(loc.uri.length)))) {
    throw missingInput(
      `${what}: the partition dt=${runDate} is missing or empty at ${joinUri(loc.uri, `dt=${runDate}`)}`,
    );
  }
  if (all.length === 0) throw missingInput(`${what}: no Parquet files at ${loc.uri}`);
  return planned(loc, loc.uri, all);
}

/** The date of a `.../dt=<date>` prefix. */
function partitionDate(uri: string): string | undefined {
  return /\/dt=(\d{4}-\d{2}-\d{2})\/?$/.exec(uri)?.[1];
}

/**
 * The newest data of a dataset, for binding a query before it runs (`pipelines validate`): the
 * newest published partition with files, else the newest `dt=` folder, else the whole dataset.
 */
export async function latestData(datasetRoot: string): Promise<{ partition?: string; files: ObjectInfo[] }> {
  for (const date of await publishedPartitions(datasetRoot)) {
    const found = await manifestFiles(joinUri(datasetRoot, `dt=${date}`));
    if (found?.objects.length) return { partition: date, files: found.objects };
  }
  const all = await resolveDataset(datasetRoot);
  const dates = [
    ...new Set(all.flatMap((o) => PARTITION.exec(o.uri.slice(datasetRoot.length))?.[1] ?? [])),
  ].sort();
  const newest = dates.at(-1);
  if (newest)
    return {
      partition: newest,
      files: all.filter((o) => o.uri.slice(datasetRoot.length).includes(`/dt=${newest}/`)),
    };
  return { files: all };
}
