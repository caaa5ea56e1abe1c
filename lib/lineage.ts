// Lineage and freshness (DESIGN 2.1): a published manifest records, for each input its run read,
// the dataset, the date and the digest (SHA-256 of the bytes) of the input's own manifest. A
// pipeline-date is stale when an input was republished after it: the manifest at the recorded
// place now has another digest, or is gone. Inputs without a manifest (a raw export that
// publishes none) are recorded by name and place only and never make anything stale.
import { createHash } from 'node:crypto';
import { isDaybreakManifest, MANIFEST_NAME, type Manifest } from './storage/manifest.js';
import { hasGlob, joinUri, normalizeUri, storageFor } from './storage/index.js';

/** One input of a published output, as its manifest records it (`inputs`). */
export interface LineageInput {
  /** `raw/<name>` or `curated/<pipeline>` when the input lies in the data root's layout. */
  dataset?: string;
  /** The logical date of the input partition read (its `dt=` folder), if partitioned. */
  date?: string;
  /** What the run was given to read. */
  uri: string;
  /** The published prefix whose manifest the run read (undefined: the input has none). */
  manifest?: string;
  /** SHA-256 of that manifest's bytes when the run opened its output. */
  digest?: string;
  /** When that manifest was written, and by which run. */
  publishedAt?: string;
  run?: { workflowId: string; runId: string };
}

export interface PublishedState {
  digest: string;
  manifest: Manifest;
}

/**
 * The manifest of `prefix` and the digest of its bytes, or undefined when it has none (or another
 * tool's `_SUCCESS`, e.g. Spark's empty one: nothing to tell two publications apart by).
 */
export async function publishedState(prefix: string): Promise<PublishedState | undefined> {
  const storage = storageFor(prefix);
  const uri = joinUri(prefix, MANIFEST_NAME);
  if (!(await storage.stat(uri).catch(notUnderAFile))) return undefined;
  let text: string;
  try {
    text = await storage.readText(uri);
  } catch (err) {
    if (!(await storage.stat(uri))) return undefined; // replaced or removed meanwhile
    throw err;
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isDaybreakManifest(manifest)) return undefined;
  return { digest: createHash('sha256').update(text).digest('hex'), manifest };
}

/** An input that is a file has no manifest under it (local disk says ENOTDIR). */
function notUnderAFile(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
  throw err;
}

/** `raw/<name>` / `curated/<pipeline>` and the `dt=` date of a URI inside the data root's layout. */
export function datasetOfUri(dataRoot: string, uri: string): { dataset?: string; date?: string } {
  const root = normalizeUri(dataRoot);
  const target = normalizeUri(uri);
  if (!target.startsWith(`${root}/`)) return {};
  const [zone, name, ...rest] = target.slice(root.length + 1).split('/');
  const date = rest.map((p) => /^dt=(\d{4}-\d{2}-\d{2})$/.exec(p)?.[1]).find(Boolean);
  if ((zone !== 'raw' && zone !== 'curated') || !name) return {};
  return { dataset: `${zone}/${name}`, date };
}

/**
 * Where the manifest of an input lies: at the input itself, at its partition of `runDate` (a
 * partitioned dataset's root), or at the `dt=` folder the input lies in (`.../dt=D/clusters`).
 */
function manifestCandidates(uri: string, runDate: string | undefined): string[] {
  const base = normalizeUri(uri);
  const candidates = runDate ? [base, joinUri(base, `dt=${runDate}`)] : [base];
  const parts = base.split('/');
  const dt = parts.findLastIndex((p) => /^dt=\d{4}-\d{2}-\d{2}$/.test(p));
  if (dt > 0 && dt < parts.length - 1) candidates.push(parts.slice(0, dt + 1).join('/'));
  return candidates;
}

/** The lineage of a run's inputs as they are now (a run records it before it reads them). */
export async function lineageOf(
  inputs: string[],
  runDate: string | undefined,
  dataRoot: string,
): Promise<LineageInput[]> {
  const out: LineageInput[] = [];
  for (const uri of inputs.filter((i) => i !== '' && !hasGlob(i))) {
    let entry: LineageInput = { ...datasetOfUri(dataRoot, uri), uri };
    for (const candidate of manifestCandidates(uri, runDate)) {
      const state = await publishedState(candidate);
      if (!state) continue;
      const run = state.manifest.run;
      entry = {
        ...entry,
        ...datasetOfUri(dataRoot, candidate),
        manifest: candidate,
        digest: state.digest,
        publishedAt: state.manifest.createdAt,
        ...(run ? { run } : {}),
      };
      break;
    }
    out.push(entry);
  }
  return out;
}

export interface Freshness {
  /** `unknown`: the manifest predates lineage (it records no inputs). */
  state: 'fresh' | 'stale' | 'unknown';
  /** For a stale output: each input republished (or gone) since, in words. */
  reasons: string[];
}

/** The recorded inputs of a manifest (`inputs`), if it has lineage. */
export function lineageInputs(manifest: Manifest): LineageInput[] | undefined {
  const inputs = (manifest as { inputs?: unknown }).inputs;
  return Array.isArray(inputs) ? (inputs as LineageInput[]) : undefined;
}

const describe = (i: LineageInput) =>
  i.dataset ? `${i.dataset}${i.date ? ` for ${i.date}` : ''}` : (i.manifest ?? i.uri);

/** Whether an output is still built on what its inputs publish now. */
export async function freshnessOf(manifest: Manifest): Promise<Freshness> {
  const inputs = lineageInputs(manifest);
  if (!inputs) return { state: 'unknown', reasons: [] };
  const reasons: string[] = [];
  for (const input of inputs) {
    if (!input.manifest || !input.digest) continue;
    const now = await publishedState(input.manifest);
    if (!now) reasons.push(`input ${describe(input)} is no longer published (${input.manifest})`);
    else if (now.digest !== input.digest) {
      const by = now.manifest.run?.workflowId;
      reasons.push(
        `input ${describe(input)} was republished at ${now.manifest.createdAt}${by ? ` by ${by}` : ''}`,
      );
    }
  }
  return { state: reasons.length ? 'stale' : 'fresh', reasons };
}

/** One published partition of a dataset, as `daybreak datasets` shows it. */
export interface PublishedPartition {
  /** Its logical date (`dt=`), undefined for a dataset read whole. */
  date?: string;
  prefix: string;
  manifest: Manifest;
  freshness: Freshness;
}

const DT_FOLDER = /^dt=(\d{4}-\d{2}-\d{2})$/;

/**
 * The published partitions of a dataset under `location`, oldest first: each `dt=<date>` folder
 * with a Daybreak manifest (a partitioned dataset), or `location` itself (one read whole).
 */
export async function publishedPartitions(
  location: string,
  partitioned: boolean,
  dates?: string[],
): Promise<PublishedPartition[]> {
  const root = normalizeUri(location);
  let prefixes: { date?: string; prefix: string }[];
  if (!partitioned) prefixes = [{ prefix: root }];
  else if (dates) prefixes = dates.map((date) => ({ date, prefix: joinUri(root, `dt=${date}`) }));
  else {
    // Every `<root>/dt=<date>/_SUCCESS` (the listing is recursive: the storage has no folders).
    const found = new Map<string, string>();
    for (const obj of await storageFor(root).list(root)) {
      const parts = normalizeUri(obj.uri)
        .slice(root.length + 1)
        .split('/');
      const date =
        parts.length === 2 && parts[1] === MANIFEST_NAME ? DT_FOLDER.exec(parts[0]!)?.[1] : undefined;
      if (date) found.set(date, joinUri(root, parts[0]!));
    }
    prefixes = [...found].map(([date, prefix]) => ({ date, prefix }));
  }
  const out: PublishedPartition[] = [];
  for (const p of prefixes) {
    const state = await publishedState(p.prefix);
    if (!state) continue;
    out.push({ ...p, manifest: state.manifest, freshness: await freshnessOf(state.manifest) });
  }
  return out.sort((a, b) => (a.date ?? '').localeCompare(b.date ?? ''));
}
