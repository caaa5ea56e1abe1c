// Yesterday's identities for a model-scoring run: the clusters and aliases published by the
// previous date's run beside this one (the publish protocol's previous output), staged locally.
import { sqlFileList } from '../../lib/duckdb.js';
import { joinUri } from '../../lib/storage/index.js';
import { logicalName } from '../../lib/storage/publish.js';
import { previousOutput } from '../common/previous-output.js';
import { stageAll } from '../common/staging.js';

export interface PreviousIdentities {
  runDate: string;
  /** SQL yielding (record_id, identity_id). */
  clusters: string;
  /** SQL yielding (old_identity_id, identity_id, merged_on); undefined: the run published none. */
  aliases?: string;
}

/**
 * The previous date's published clusters (and aliases) under `prefix` ('' for the champion,
 * shadow/<v>/ for a challenger); undefined when there is no previous date or it has none.
 */
export async function previousIdentities(
  output: string,
  runDate: string,
  prefix: string,
  scratch: string,
): Promise<PreviousIdentities | undefined> {
  const previous = await previousOutput(output, runDate);
  if (!previous) return undefined;
  const { manifest } = previous;
  const under = (folder: string) =>
    manifest.files
      .filter((f) => logicalName(f.name, manifest).startsWith(`${prefix}${folder}/`))
      .map((f) => joinUri(previous.uri, f.name));
  const clusters = under('clusters');
  if (clusters.length === 0) return undefined;
  const aliases = under('aliases');
  const read = async (files: string[]) =>
    `SELECT * FROM read_parquet(${sqlFileList(await stageAll(files, scratch))})`;
  return {
    runDate: previous.runDate,
    clusters: `SELECT record_id, identity_id FROM (${await read(clusters)})`,
    aliases: aliases.length ? await read(aliases) : undefined,
  };
}
