// The previous date's published output of a pipeline, for `rows.maxChangePct`: the newest
// `dt=<date>` partition before the run date that holds a `_SUCCESS` manifest, beside this one.
import { readManifest } from '../../lib/storage/manifest.js';
import { joinUri } from '../../lib/storage/index.js';
import { publishedPartitions } from './inputs.js';

const OWN_PARTITION = /\/dt=(\d{4}-\d{2}-\d{2})\/?$/;

export async function previousPublished(
  output: string,
  runDate: string,
): Promise<{ rows: number; runDate: string } | undefined> {
  const m = OWN_PARTITION.exec(output);
  if (!m || m[1] !== runDate) return undefined; // an output outside the dt= layout has no previous date
  const root = output.slice(0, m.index);
  const date = (await publishedPartitions(root)).find((d) => d < runDate);
  if (!date) return undefined;
  const manifest = await readManifest(joinUri(root, `dt=${date}`));
  return manifest ? { rows: manifest.totals.rows, runDate: date } : undefined;
}
