// Finding a SQL pipeline's inputs for the run date: another pipeline's output is read through its
// `_SUCCESS` manifest (only the files it lists), a dataset through its `dt=<date>` folder (or all
// of it when unpartitioned), an explicit path as it is. A missing partition is MissingInput.
import path from 'node:path';
import { missingInput } from '../../lib/errors.js';
import type { SqlInputLocation } from '../../lib/sql-pipelines/params.js';
import { joinUri, resolveDataset, storageFor, type ObjectInfo } from '../../lib/storage/index.js';
import { readManifest } from '../../lib/storage/manifest.js';
import type { PlannedInput } from './types.js';

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

/** Dates of a dataset's `dt=` partitions that hold a `_SUCCESS` manifest, newest first. */
export async function publishedPartitions(datasetRoot: string): Promise<string[]> {
  const dates = new Set<string>();
  for (const o of await storageFor(datasetRoot).list(datasetRoot)) {
    const rel = o.uri.slice(datasetRoot.length);
    const m = PARTITION.exec(rel);
    if (m && path.posix.basename(o.uri) === '_SUCCESS') dates.add(m[1]!);
  }
  return [...dates].sort().reverse();
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
  if (loc.kind === 'output') {
    const found = await manifestFiles(loc.uri);
    if (!found) {
      throw missingInput(
        `input ${name} (${loc.dataset}): no published output for ${runDate}: ${joinUri(loc.uri, '_SUCCESS')} does not exist`,
      );
    }
    const extra: Partial<PlannedInput> = { partition: runDate, manifestCreatedAt: found.createdAt };
    if (found.objects.length === 0) extra.schemaFiles = await schemaFromOtherPartitions(name, loc, loc.uri);
    return planned(loc, loc.uri, found.objects, extra);
  }
  if (loc.kind === 'dataset') {
    const partitionUri = joinUri(loc.uri, `dt=${runDate}`);
    const published = await manifestFiles(partitionUri);
    if (published) {
      const extra: Partial<PlannedInput> = { partition: runDate, manifestCreatedAt: published.createdAt };
      if (published.objects.length === 0)
        extra.schemaFiles = await schemaFromOtherPartitions(name, loc, partitionUri);
      return planned(loc, partitionUri, published.objects, extra);
    }
    const partition = await resolveDataset(partitionUri);
    if (partition.length) return planned(loc, partitionUri, partition, { partition: runDate });
    const all = await resolveDataset(loc.uri);
    if (all.some((o) => PARTITION.test(o.uri.slice(loc.uri.length)))) {
      throw missingInput(
        `input ${name} (${loc.dataset}): the partition dt=${runDate} is missing or empty at ${partitionUri}`,
      );
    }
    if (all.length === 0)
      throw missingInput(`input ${name} (${loc.dataset}): no Parquet files at ${loc.uri}`);
    return planned(loc, loc.uri, all);
  }
  const files = await resolveDataset(loc.uri);
  if (files.length === 0) throw missingInput(`input ${name}: no Parquet files at ${loc.uri}`);
  return planned(loc, loc.uri, files);
}
