// The publish protocol (DESIGN 2.2), the one contract every pipeline writes its output through:
//
//   openOutput    take the prefix's lock (one run at a time; a dead run's lock is recovered),
//                 refuse an output overlapping an input or holding foreign files
//   putOutputFile place a finished file under a run-scoped name (`part-0-<tag>.parquet`), with
//                 the checksum of its final bytes
//   commitOutput  verify the files are unchanged, write the new `_SUCCESS` in one write, then
//                 delete what the previous manifest listed and this run's leftovers
//   abortOutput   remove this run's files; the previous output is untouched
//
// Until a run commits, the previous manifest and every file it lists stay valid: a new run never
// writes a name the previous manifest lists (its tag differs) and never deletes one before its own
// manifest replaced it. Nothing but the manifest's own files, `_LOCK.*`, `_work/` and files carrying
// a Daybreak run's tag is ever deleted, so a prefix with someone else's files is safe.
//
// Layout of a prefix: `_SUCCESS` (the manifest), `_LOCK.<seq>` (the lock: the highest number
// holds it), `_work/<runId>/` (a run's intermediates), the output files.
import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import type { ApplicationFailure } from '@temporalio/common';
import { badInput, ErrorType, outputFailure } from '../errors.js';
import { storageFor } from './backends.js';
import { globBase } from './index.js';
import {
  MANIFEST_NAME,
  MANIFEST_VERSION,
  manifestState,
  sha256File,
  type Manifest,
  type ManifestFile,
  type ManifestRun,
} from './manifest.js';
import type { ObjectInfo, StorageBackend } from './types.js';
import { hasGlob, isGcsUri, joinUri, normalizeUri } from './uri.js';

export const LOCK_PREFIX = '_LOCK.';
export const WORK_FOLDER = '_work';
/** Where a committing run notes the previous manifest's files, so a retried commit can finish. */
const PREVIOUS_FILES = '_PREVIOUS.json';

export type RunRef = ManifestRun;

/** An output as one run writes it: what the run's tasks pass around (serialisable). */
export interface OutputRef {
  prefix: string;
  run: RunRef;
}

/** A file a run put into its output, for commit: the manifest entry plus what commit re-checks. */
export interface StagedFile extends ManifestFile {
  /** The storage's fingerprint of the object when its checksum was taken (not written to the manifest). */
  fingerprint?: string;
}

/** Who holds a lock, as recorded in `_LOCK.<seq>`. */
export interface LockOwner {
  run: RunRef;
  /** Web UI link of the run (OutputBusy names it). */
  webUiUrl?: string;
  since?: string;
  inputs?: string[];
}

export interface OpenOutputOptions {
  owner: LockOwner;
  /** The run's input datasets (files, folders or globs): the output must not overlap any of them. */
  inputs: string[];
  /**
   * Folder where runs register the outputs they have open with their inputs (e.g.
   * `<data root>/_daybreak/open`), so an output over another running run's input is refused and
   * a failed run's outputs can be aborted. Omitted: no cross-run checks.
   */
  registry?: string;
  /** Whether a run is still running; decides whether its lock or registration is stale. */
  isRunOpen(run: RunRef): Promise<boolean>;
}

/** A short, stable tag of a run for its file names (hex of the run id's SHA-256). */
export function runTag(runId: string): string {
  return createHash('sha256').update(runId).digest('hex').slice(0, 10);
}

/** `pairs/part-00001.parquet` -> `pairs/part-00001-<tag>.parquet` (the tag before the first dot). */
export function runScopedName(name: string, tag: string): string {
  const slash = name.lastIndexOf('/');
  const dir = name.slice(0, slash + 1);
  const base = name.slice(slash + 1);
  const dot = base.indexOf('.', 1);
  return dot < 0 ? `${dir}${base}-${tag}` : `${dir}${base.slice(0, dot)}-${tag}${base.slice(dot)}`;
}

/** Whether a file name carries the run tag `tag` (as runScopedName puts it). */
export function hasRunTag(name: string, tag: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base.includes(`-${tag}.`) || base.endsWith(`-${tag}`);
}

/** A run's private folder for intermediates under its output prefix. */
export function workPrefix(prefix: string, runId: string): string {
  return joinUri(prefix, WORK_FOLDER, runId);
}

/** `a` is `b`, or one contains the other (folder boundaries respected; globs by their base). */
export function overlaps(a: string, b: string): boolean {
  const norm = (u: string) => normalizeUri(hasGlob(u) ? globBase(isGcsUri(u) ? u : normalizeUri(u)) : u);
  const x = norm(a);
  const y = norm(b);
  if (isGcsUri(x) !== isGcsUri(y)) return false;
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}/`);
  return within(x, y) || within(y, x);
}

function relativeName(prefix: string, uri: string): string {
  return uri.slice(prefix.length + 1);
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

async function deleteAll(storage: StorageBackend, uris: string[]): Promise<void> {
  await mapLimit(uris, 16, (uri) => storage.delete(uri));
}

// ---------------------------------------------------------------------------------------------
// The lock: `_LOCK.<seq>` objects, each created only if absent. The highest sequence number holds
// the prefix; a run takes a free or stale (its run closed) prefix by creating the next number, so
// of two runs racing for it exactly one succeeds, on GCS and on local disk alike.

interface LockFile {
  seq: number;
  uri: string;
  owner?: LockOwner;
}

const lockName = (seq: number) => `${LOCK_PREFIX}${String(seq).padStart(6, '0')}`;

async function listLocks(prefix: string): Promise<LockFile[]> {
  const storage = storageFor(prefix);
  const locks: LockFile[] = [];
  for (const obj of await storage.listNamed(prefix, LOCK_PREFIX)) {
    const seq = Number(relativeName(prefix, obj.uri).slice(LOCK_PREFIX.length));
    if (!Number.isInteger(seq)) continue; // e.g. a temporary of a lock being created
    let text: string;
    try {
      text = await storage.readText(obj.uri);
    } catch (err) {
      if (!(await storage.stat(obj.uri))) continue; // released meanwhile
      throw err;
    }
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(text) as LockOwner;
    } catch {
      owner = undefined; // unreadable: no owner to wait for
    }
    locks.push({ seq, uri: obj.uri, owner });
  }
  return locks.sort((a, b) => a.seq - b.seq);
}

function busy(prefix: string, owner: LockOwner, why = 'is being written by'): ApplicationFailure {
  const since = owner.since ? `, since ${owner.since}` : '';
  const link = owner.webUiUrl ? ` (${owner.webUiUrl})` : '';
  return outputFailure(
    ErrorType.OutputBusy,
    `output ${prefix} ${why} run ${owner.run.workflowId} (run id ${owner.run.runId}${since})${link}; wait for it to finish or choose another output`,
  );
}

/** Takes the prefix's lock for `owner` (idempotent for its own run); returns the stale locks it replaced. */
async function acquireLock(prefix: string, opts: OpenOutputOptions): Promise<LockFile[]> {
  const storage = storageFor(prefix);
  const me = opts.owner.run;
  for (let attempt = 0; attempt < 10; attempt++) {
    const locks = await listLocks(prefix);
    const top = locks.at(-1);
    if (top?.owner?.run.runId === me.runId) return locks.slice(0, -1);
    if (top?.owner && (await opts.isRunOpen(top.owner.run))) throw busy(prefix, top.owner);
    const seq = (top?.seq ?? 0) + 1;
    const record: LockOwner = { ...opts.owner, since: new Date().toISOString(), inputs: opts.inputs };
    if (await storage.createExclusive(joinUri(prefix, lockName(seq)), JSON.stringify(record, null, 2)))
      return locks;
    // Another run created that number first: look again.
  }
  throw new Error(`could not take the lock of ${prefix}: it kept changing hands`);
}

/** True when `run` holds the prefix's lock now. */
async function holdsLock(prefix: string, run: RunRef): Promise<boolean> {
  return (await listLocks(prefix)).at(-1)?.owner?.run.runId === run.runId;
}

async function releaseLock(prefix: string, run: RunRef): Promise<void> {
  const storage = storageFor(prefix);
  const mine = (await listLocks(prefix)).filter((l) => l.owner?.run.runId === run.runId);
  await deleteAll(
    storage,
    mine.map((l) => l.uri),
  );
}

// ---------------------------------------------------------------------------------------------
// The registry of open outputs: `<registry>/<runId>/<hash of prefix>.json`, one per output a run
// has open, with the run's inputs. Written before the lock is taken, removed at commit or abort;
// entries of closed runs are stale and ignored (and removed when seen).

interface Registration {
  run: RunRef;
  output: string;
  inputs: string[];
  webUiUrl?: string;
  openedAt: string;
}

const registrationUri = (registry: string, runId: string, prefix: string) =>
  joinUri(registry, runId, `${createHash('sha256').update(prefix).digest('hex').slice(0, 16)}.json`);

async function register(prefix: string, opts: OpenOutputOptions & { registry: string }): Promise<void> {
  const entry: Registration = {
    run: opts.owner.run,
    output: prefix,
    inputs: opts.inputs,
    webUiUrl: opts.owner.webUiUrl,
    openedAt: new Date().toISOString(),
  };
  await storageFor(opts.registry).writeText(
    registrationUri(opts.registry, opts.owner.run.runId, prefix),
    JSON.stringify(entry, null, 2),
  );
}

async function unregister(registry: string | undefined, run: RunRef, prefix: string): Promise<void> {
  if (!registry) return;
  await storageFor(registry).delete(registrationUri(registry, run.runId, prefix));
}

async function registrations(registry: string, runId?: string): Promise<(Registration & { uri: string })[]> {
  const storage = storageFor(registry);
  const objects = await storage.list(runId ? joinUri(registry, runId) : registry);
  const out: (Registration & { uri: string })[] = [];
  for (const obj of objects.filter((o) => o.uri.endsWith('.json'))) {
    const entry = await storage
      .readText(obj.uri)
      .then((t) => JSON.parse(t) as Registration)
      .catch(() => undefined);
    if (entry?.run?.runId && typeof entry.output === 'string') out.push({ ...entry, uri: obj.uri });
  }
  return out;
}

/** Refuses `prefix` when it overlaps an input of another running run, or another open output. */
async function checkOtherRuns(prefix: string, opts: OpenOutputOptions & { registry: string }): Promise<void> {
  const storage = storageFor(opts.registry);
  for (const other of await registrations(opts.registry)) {
    if (other.run.runId === opts.owner.run.runId) continue;
    const input = other.inputs.find((i) => overlaps(prefix, i));
    const nested = other.output !== prefix && overlaps(prefix, other.output);
    if (input === undefined && !nested) continue;
    if (!(await opts.isRunOpen(other.run))) {
      await storage.delete(other.uri); // a closed run's leftover registration
      continue;
    }
    const owner = { run: other.run, webUiUrl: other.webUiUrl, since: other.openedAt };
    throw busy(
      prefix,
      owner,
      input !== undefined
        ? `overlaps the input ${input} of`
        : `overlaps the output ${other.output} being written by`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

/** Deletes what stale runs left (their tagged files, every other run's `_work/`) and their locks. */
async function recoverStale(
  prefix: string,
  me: RunRef,
  stale: LockFile[],
  objects: ObjectInfo[],
): Promise<void> {
  const storage = storageFor(prefix);
  const state = await manifestState(prefix);
  const listed = new Set(state.kind === 'daybreak' ? state.manifest.files.map((f) => f.name) : []);
  const staleTags = stale.flatMap((l) => (l.owner ? [runTag(l.owner.run.runId)] : []));
  const myWork = `${WORK_FOLDER}/${me.runId}/`;
  const doomed = objects.filter((o) => {
    const name = relativeName(prefix, o.uri);
    if (listed.has(name) || name.startsWith(LOCK_PREFIX)) return false;
    if (name.startsWith(`${WORK_FOLDER}/`)) return !name.startsWith(myWork);
    return staleTags.some((t) => hasRunTag(name, t));
  });
  await deleteAll(
    storage,
    doomed.map((o) => o.uri),
  );
  // The stale locks go last: a run killed while recovering leaves them for the next one.
  await deleteAll(
    storage,
    stale.map((l) => l.uri),
  );
  if (doomed.length) await storage.removeEmptyFolders(prefix);
}

/** Files in `prefix` that Daybreak does not own (with no manifest, they make the prefix foreign). */
function foreignFiles(prefix: string, me: RunRef, objects: ObjectInfo[]): string[] {
  const tag = runTag(me.runId);
  return objects
    .map((o) => relativeName(prefix, o.uri))
    .filter(
      (name) =>
        !name.startsWith(LOCK_PREFIX) &&
        !name.startsWith(`${WORK_FOLDER}/`) &&
        !hasRunTag(name, tag) &&
        !/\.tmp-\d+-[0-9a-f]{8}$/.test(name), // our own atomic-write temporaries
    );
}

/**
 * Opens `prefix` for writing by `opts.owner.run`, before any work: refuses it (non-retryable) when
 * it overlaps one of the run's inputs (BadInput), overlaps another running run's input or open
 * output, or is held by another running run (OutputBusy, naming the run and its Web UI link), or
 * holds files but no Daybreak manifest (OutputNotEmpty, naming a few). A second run fails at once
 * rather than waiting: the first may run for hours, and an operator who started two runs on one
 * output made a mistake worth hearing about. Safe to call again from a retried activity.
 */
export async function openOutput(prefixUri: string, opts: OpenOutputOptions): Promise<OutputRef> {
  const prefix = normalizeUri(prefixUri);
  const me = opts.owner.run;
  const input = opts.inputs.find((i) => overlaps(prefix, i));
  if (input !== undefined) {
    throw badInput(
      `output ${prefix} overlaps this run's input ${input}: publishing there could replace or delete the input; choose an output folder of its own`,
    );
  }
  const registry = opts.registry;
  if (registry) {
    await register(prefix, { ...opts, registry });
    try {
      await checkOtherRuns(prefix, { ...opts, registry });
    } catch (err) {
      await unregister(registry, me, prefix);
      throw err;
    }
  }
  let locked = false;
  try {
    const stale = await acquireLock(prefix, opts);
    locked = true;
    const objects = await storageFor(prefix).list(prefix);
    if (stale.length || objects.some((o) => relativeName(prefix, o.uri).startsWith(`${WORK_FOLDER}/`)))
      await recoverStale(prefix, me, stale, objects);
    const state = await manifestState(prefix);
    if (state.kind !== 'daybreak') {
      const foreign = foreignFiles(prefix, me, await storageFor(prefix).list(prefix));
      if (foreign.length) {
        const shown = foreign.slice(0, 5).join(', ');
        const more = foreign.length > 5 ? ` and ${foreign.length - 5} more` : '';
        throw outputFailure(
          ErrorType.OutputNotEmpty,
          `output ${prefix} holds files that no Daybreak manifest lists (${shown}${more}); Daybreak publishes only into an empty folder or one it published before: choose another output or move those files away`,
        );
      }
    }
    return { prefix, run: me };
  } catch (err) {
    if (locked) await releaseLock(prefix, me).catch(() => undefined);
    await unregister(registry, me, prefix).catch(() => undefined);
    throw err;
  }
}

/**
 * Places a finished local file into the output under its run-scoped name (the local file is moved)
 * and describes it for the manifest: rows as counted by the caller, size and the SHA-256 of the
 * final bytes (local disk: hashed where it landed; GCS: hashed before an upload the client
 * validates end to end), with the object's fingerprint so commit can tell it is unchanged.
 */
export async function putOutputFile(
  out: OutputRef,
  localPath: string,
  name: string,
  rows: number,
): Promise<StagedFile> {
  const storage = storageFor(out.prefix);
  const scoped = runScopedName(name, runTag(out.run.runId));
  const uri = joinUri(out.prefix, scoped);
  let sha256: string;
  let fingerprint: string | undefined;
  if (isGcsUri(uri)) {
    sha256 = await sha256File(localPath);
    await storage.putFile(localPath, uri);
    fingerprint = await storage.fingerprint(uri);
  } else {
    await storage.putFile(localPath, uri);
    fingerprint = await storage.fingerprint(uri);
    sha256 = await sha256File(uri);
    if ((await storage.fingerprint(uri)) !== fingerprint)
      throw new Error(`${uri} changed while its checksum was taken`);
  }
  const size = (await storage.stat(uri))?.size ?? 0;
  return { name: scoped, rows, bytes: size, sha256, fingerprint };
}

/** What a manifest says about its output, beyond the files (filled in by the pipeline). */
export interface CommitMeta {
  pipeline: string;
  runDate: string;
  report?: Record<string, unknown>;
  inputs?: Record<string, unknown>[];
  checks?: Record<string, unknown>[];
}

/** Re-checks every staged file before it is published: this run's name, and its bytes unchanged. */
async function verifyStaged(out: OutputRef, files: StagedFile[]): Promise<void> {
  const storage = storageFor(out.prefix);
  const tag = runTag(out.run.runId);
  await mapLimit(files, 16, async (f) => {
    const uri = joinUri(out.prefix, f.name);
    const changed = (why: string) =>
      outputFailure(ErrorType.OutputChanged, `output file ${uri} ${why}; not publishing it`);
    if (!hasRunTag(f.name, tag)) throw changed(`was not written by run ${out.run.runId}`);
    const now = await storage.fingerprint(uri);
    if (now === undefined) throw changed('is gone');
    if (f.fingerprint !== undefined) {
      if (now !== f.fingerprint) throw changed('was rewritten after its checksum was taken');
    } else if (isGcsUri(uri) || (await sha256File(uri)) !== f.sha256) {
      // Staged without a fingerprint: on local disk the bytes themselves are checked.
      throw changed('cannot be checked against its checksum');
    }
  });
}

/**
 * Publishes the run's files: checks they are the run's and unchanged, writes the new manifest in
 * one write (the only moment readers switch), then deletes the files the previous manifest listed,
 * this run's leftovers (files it put but does not list, e.g. from a retried task) and its `_work/`,
 * and releases the lock. Safe to call again from a retried activity, even after the manifest was
 * written.
 */
export async function commitOutput(
  out: OutputRef,
  meta: CommitMeta,
  files: StagedFile[],
  registry?: string,
): Promise<Manifest> {
  const storage = storageFor(out.prefix);
  const current = await manifestState(out.prefix);
  if (current.kind === 'daybreak' && current.manifest.run?.runId === out.run.runId) {
    await finishCommit(out, current.manifest, registry);
    return current.manifest;
  }
  if (!(await holdsLock(out.prefix, out.run))) {
    throw outputFailure(
      ErrorType.OutputChanged,
      `run ${out.run.workflowId} (run id ${out.run.runId}) no longer holds the lock of ${out.prefix}; not publishing`,
    );
  }
  await verifyStaged(out, files);
  if (current.kind === 'daybreak') {
    await storage.writeText(
      joinUri(workPrefix(out.prefix, out.run.runId), PREVIOUS_FILES),
      JSON.stringify(current.manifest.files.map((f) => f.name)),
    );
  }
  const sorted = [...files]
    .map(({ name, rows, bytes, sha256 }): ManifestFile => ({ name, rows, bytes, sha256 }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    pipeline: meta.pipeline,
    runDate: meta.runDate,
    createdAt: new Date().toISOString(),
    run: { workflowId: out.run.workflowId, runId: out.run.runId },
    files: sorted,
    totals: {
      files: sorted.length,
      rows: sorted.reduce((s, f) => s + f.rows, 0),
      bytes: sorted.reduce((s, f) => s + f.bytes, 0),
    },
    report: meta.report,
    ...(meta.inputs ? { inputs: meta.inputs } : {}),
    ...(meta.checks ? { checks: meta.checks } : {}),
  };
  await storage.writeText(joinUri(out.prefix, MANIFEST_NAME), JSON.stringify(manifest, null, 2));
  await finishCommit(out, manifest, registry);
  return manifest;
}

/** After the manifest is written: remove what it replaced and what the run left over. */
async function finishCommit(out: OutputRef, manifest: Manifest, registry?: string): Promise<void> {
  const storage = storageFor(out.prefix);
  const work = workPrefix(out.prefix, out.run.runId);
  const previousUri = joinUri(work, PREVIOUS_FILES);
  const previous = (await storage.stat(previousUri))
    ? (JSON.parse(await storage.readText(previousUri)) as string[])
    : [];
  const listed = new Set(manifest.files.map((f) => f.name));
  const tag = runTag(out.run.runId);
  const objects = await storage.list(out.prefix);
  const names = new Set(objects.map((o) => relativeName(out.prefix, o.uri)));
  const doomed = [
    ...previous.filter((n) => !listed.has(n) && names.has(n)),
    ...[...names].filter((n) => !listed.has(n) && hasRunTag(n, tag)),
    ...[...names].filter(
      (n) => n.startsWith(`${WORK_FOLDER}/${out.run.runId}/`) && n !== relativeName(out.prefix, previousUri),
    ),
  ];
  await deleteAll(
    storage,
    [...new Set(doomed)].map((n) => joinUri(out.prefix, n)),
  );
  // The note of the previous files goes last: a commit killed before this point finishes on retry.
  await storage.delete(previousUri);
  await storage.removeEmptyFolders(out.prefix);
  await releaseLock(out.prefix, out.run);
  await unregister(registry, out.run, out.prefix);
}

/**
 * Abandons the run's output: removes the files it put (never one a manifest lists) and its
 * `_work/`. The previous output is untouched. The lock stays until the run has closed and the next
 * run of the prefix takes it over, removing then anything a straggling task of this run wrote
 * after the abort.
 */
export async function abortOutput(out: OutputRef, registry?: string): Promise<void> {
  const storage = storageFor(out.prefix);
  const state = await manifestState(out.prefix);
  const listed = new Set(state.kind === 'daybreak' ? state.manifest.files.map((f) => f.name) : []);
  const tag = runTag(out.run.runId);
  const doomed = (await storage.list(out.prefix))
    .map((o) => relativeName(out.prefix, o.uri))
    .filter((n) => !listed.has(n) && (hasRunTag(n, tag) || n.startsWith(`${WORK_FOLDER}/${out.run.runId}/`)));
  await deleteAll(
    storage,
    doomed.map((n) => joinUri(out.prefix, n)),
  );
  await storage.removeEmptyFolders(out.prefix);
  await unregister(registry, out.run, out.prefix);
}

/** Aborts every output `run` has open in `registry` (a failed run's clean-up); returns their prefixes. */
export async function abortRunOutputs(registry: string, run: RunRef): Promise<string[]> {
  const opened = await registrations(registry, run.runId);
  for (const entry of opened) await abortOutput({ prefix: entry.output, run }, registry);
  return opened.map((e) => e.output);
}

// ---------------------------------------------------------------------------------------------
// Runs outside Temporal (benches, tools, tests that publish an upstream output): a run id of their
// own, open while the process that made it lives.

const LOCAL_RUN = 'local/';

/** A run for publishing outside a workflow: `local/<host>/<pid>` with a fresh run id. */
export function localRun(label = 'publish'): RunRef {
  return { workflowId: `${LOCAL_RUN}${os.hostname()}/${process.pid}/${label}`, runId: randomUUID() };
}

/**
 * For a `localRun`: open while its process lives (on this host; another host's is taken as open).
 * Undefined for a Temporal run: only the server can tell.
 */
export function localRunIsOpen(run: RunRef): boolean | undefined {
  if (!run.workflowId.startsWith(LOCAL_RUN)) return undefined;
  const [host, pid] = run.workflowId.slice(LOCAL_RUN.length).split('/');
  if (host !== os.hostname()) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Publishes local files as one output in a single call (open, put, commit) under a local run:
 * for tools and tests. Temporal runs holding the prefix count as open (no server to ask).
 */
export async function publishLocalFiles(
  prefix: string,
  meta: CommitMeta,
  files: { localPath: string; name: string; rows: number }[],
  inputs: string[] = [],
): Promise<Manifest> {
  const run = localRun(meta.pipeline);
  const out = await openOutput(prefix, {
    owner: { run },
    inputs,
    isRunOpen: async (r) => localRunIsOpen(r) ?? true,
  });
  const staged: StagedFile[] = [];
  for (const f of files) staged.push(await putOutputFile(out, f.localPath, f.name, f.rows));
  return commitOutput(out, meta, staged);
}

/** A manifest file's name without its run's tag: `ranking-1a2b3c4d5e.json` -> `ranking.json`. */
export function logicalName(name: string, manifest: Pick<Manifest, 'run'>): string {
  if (!manifest.run) return name; // version 1: names had no tag
  const tag = runTag(manifest.run.runId);
  const slash = name.lastIndexOf('/');
  const base = name.slice(slash + 1).replace(`-${tag}`, '');
  return `${name.slice(0, slash + 1)}${base}`;
}

/** The URI of the published file whose logical name is `name` (e.g. `ranking.json`), if any. */
export async function publishedFile(prefix: string, name: string): Promise<string | undefined> {
  const state = await manifestState(prefix);
  if (state.kind !== 'daybreak') return undefined;
  const file = state.manifest.files.find((f) => logicalName(f.name, state.manifest) === name);
  return file ? joinUri(prefix, file.name) : undefined;
}
