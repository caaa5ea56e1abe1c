// Removes per-attempt logs older than the retention (DAYBREAK_LOG_RETENTION_DAYS), by when their
// run started, not by logical date: a backfill of 2019 today keeps its logs for the full period.
// Run by every worker at start, in the background; a run folder whose age cannot be read stays.
import { storageFor } from '../storage/index.js';
import { joinUri, normalizeUri } from '../storage/uri.js';
import { LOGS_FOLDER } from './layout.js';
import { parseAttemptLog } from './records.js';

export interface SweepResult {
  runsRemoved: number;
  filesRemoved: number;
}

/** `_logs/<pipeline>/dt=<date>/<run>` of each object below the logs folder. */
function runFolderOf(logsRoot: string, uri: string): string | undefined {
  const below = uri.slice(logsRoot.length + 1).split('/');
  return below.length === 4 ? below.slice(0, 3).join('/') : undefined;
}

export async function sweepAttemptLogs(
  root: string,
  retentionDays: number,
  now = new Date(),
): Promise<SweepResult> {
  const result: SweepResult = { runsRemoved: 0, filesRemoved: 0 };
  if (retentionDays <= 0) return result;
  const logsRoot = normalizeUri(joinUri(root, LOGS_FOLDER));
  const storage = storageFor(logsRoot);
  const byRun = new Map<string, string[]>();
  for (const o of await storage.list(logsRoot)) {
    const run = runFolderOf(logsRoot, o.uri);
    if (run) byRun.set(run, [...(byRun.get(run) ?? []), o.uri]);
  }
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  for (const uris of byRun.values()) {
    // Every attempt of a run starts after the run did: its earliest header dates it.
    const starts: number[] = [];
    for (const uri of uris) {
      const text = await storage.readText(uri).catch(() => undefined);
      const started = text === undefined ? NaN : Date.parse(parseAttemptLog(text).header?.startedAt ?? '');
      if (Number.isFinite(started)) starts.push(started);
      if (Number.isFinite(started) && started >= cutoff) break; // recent: keep the run
    }
    if (!starts.length || Math.max(...starts) >= cutoff) continue;
    for (const uri of uris) await storage.delete(uri);
    result.runsRemoved++;
    result.filesRemoved += uris.length;
  }
  await storage.removeEmptyFolders(logsRoot);
  return result;
}
