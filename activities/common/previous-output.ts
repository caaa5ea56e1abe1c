// A dataset's published partitions, and the previous date's published output of a pipeline (for
// `rows.maxChangePct` and model-scoring's persistent identity ids): the newest `dt=<date>`
// partition before the run date with a `_SUCCESS` manifest, beside this one.
import path from 'node:path';
import { joinUri, storageFor } from '../../lib/storage/index.js';
import { readManifest, type Manifest } from '../../lib/storage/manifest.js';

const PARTITION = /(?:^|\/)dt=(\d{4}-\d{2}-\d{2})(?:\/|$)/;

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

const OWN_PARTITION = /\/dt=(\d{4}-\d{2}-\d{2})\/?$/;

/** The previous date's published output beside `output` (a `dt=<runDate>` partition), if any. */
export async function previousOutput(
  output: string,
  runDate: string,
): Promise<{ uri: string; runDate: string; manifest: Manifest } | undefined> {
  const m = OWN_PARTITION.exec(output);
  if (!m || m[1] !== runDate) return undefined; // an output outside the dt= layout has no previous date
  const root = output.slice(0, m.index);
  const date = (await publishedPartitions(root)).find((d) => d < runDate);
  if (!date) return undefined;
  const uri = joinUri(root, `dt=${date}`);
  const manifest = await readManifest(uri);
  return manifest ? { uri, runDate: date, manifest } : undefined;
}

export async function previousPublished(
  output: string,
  runDate: string,
): Promise<{ rows: number; runDate: string } | undefined> {
  const previous = await previousOutput(output, runDate);
  return previous ? { rows: previous.manifest.totals.rows, runDate: previous.runDate } : undefined;
}
