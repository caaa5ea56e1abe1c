// Reading the per-attempt logs of a pipeline-date back (`daybreak logs`): its runs, each run's
// steps and their attempts, one attempt's records.
import { storageFor } from '../storage/index.js';
import { basename, normalizeUri } from '../storage/uri.js';
import { dateLogsPrefix, parseAttemptLogName } from './layout.js';
import { parseAttemptLog, type ParsedAttemptLog } from './records.js';

export interface AttemptFile {
  runId: string;
  step: string;
  attempt: number;
  uri: string;
  bytes: number;
}

export interface LoggedAttempt extends AttemptFile {
  log: ParsedAttemptLog;
}

export interface LoggedRun {
  runId: string;
  /** The earliest attempt's start (ISO), when a header says it. */
  startedAt?: string;
  attempts: LoggedAttempt[];
}

/** The attempt log files under a pipeline-date, by run, without reading them. */
export async function listAttemptFiles(
  root: string,
  pipeline: string,
  runDate: string,
): Promise<AttemptFile[]> {
  const prefix = normalizeUri(dateLogsPrefix(root, pipeline, runDate));
  const objects = await storageFor(prefix).list(prefix);
  const files: AttemptFile[] = [];
  for (const o of objects) {
    const below = o.uri.slice(prefix.length + 1).split('/');
    const parsed = below.length === 2 ? parseAttemptLogName(basename(o.uri)) : undefined;
    if (parsed) files.push({ runId: below[0]!, ...parsed, uri: o.uri, bytes: o.size });
  }
  return files;
}

export async function readAttempt(file: AttemptFile): Promise<LoggedAttempt> {
  const text = await storageFor(file.uri).readText(file.uri);
  return { ...file, log: parseAttemptLog(text) };
}

/** Reads `items` with at most `limit` reads in flight (object stores answer each in ~50 ms). */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Every run of the pipeline-date with its attempts read, oldest run first. */
export async function readDateLogs(root: string, pipeline: string, runDate: string): Promise<LoggedRun[]> {
  const files = await listAttemptFiles(root, pipeline, runDate);
  const attempts = await mapLimited(files, 8, readAttempt);
  const runs = new Map<string, LoggedRun>();
  for (const a of attempts) {
    const run = runs.get(a.runId) ?? { runId: a.runId, attempts: [] };
    const started = a.log.header?.startedAt;
    if (started && (!run.startedAt || started < run.startedAt)) run.startedAt = started;
    run.attempts.push(a);
    runs.set(a.runId, run);
  }
  for (const run of runs.values()) run.attempts.sort(byStart);
  return [...runs.values()].sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
}

/** Attempts in the order they started (the step name's order when a header is missing). */
function byStart(a: LoggedAttempt, b: LoggedAttempt): number {
  const sa = a.log.header?.startedAt ?? '';
  const sb = b.log.header?.startedAt ?? '';
  return sa.localeCompare(sb) || a.step.localeCompare(b.step) || a.attempt - b.attempt;
}
