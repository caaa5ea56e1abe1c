// Entry point of the storage layer: pick the backend for a URI, resolve dataset parameters
// (a file, a directory or a glob) into objects, stage them for DuckDB.
import picomatch from 'picomatch';
import { storageFor } from './backends.js';
import { manifestState } from './manifest.js';
import type { ObjectInfo } from './types.js';
import { dirname, hasGlob, isGcsUri, joinUri, normalizeUri } from './uri.js';

export type { ObjectInfo, StorageBackend } from './types.js';
export { registerGcsBackend, storageFor } from './backends.js';
export * from './uri.js';

/** The part of a glob before its first wildcard segment: the prefix to list. */
export function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const idx = parts.findIndex((p) => hasGlob(p));
  return parts.slice(0, idx).join('/');
}

export interface ResolveOptions {
  /** Keep only objects whose name matches (default: *.parquet). */
  extension?: string;
}

/** How many folders up from a dataset folder to look for the Daybreak manifest that publishes it. */
const MANIFEST_SEARCH_DEPTH = 3;

/** Path segments of `uri` below `base` (`uri` must be under it). */
function segmentsBelow(base: string, uri: string): string[] {
  return uri.slice(base.length).split('/').filter(Boolean);
}

/**
 * When `folder` is (inside) a Daybreak-published output, the files its manifest lists under it:
 * a run re-writing that output puts its new files beside the old ones until it commits, so a
 * listing would mix two runs. Undefined when no manifest publishes the folder. Folders starting
 * with `_` (a run's private `_work/`) are never part of an output, so the search stops at them.
 */
async function publishedFiles(folder: string): Promise<ObjectInfo[] | undefined> {
  let prefix = normalizeUri(folder);
  for (let depth = 0; depth <= MANIFEST_SEARCH_DEPTH; depth++) {
    if (segmentsBelow(prefix, normalizeUri(folder)).some((s) => s.startsWith('_'))) return undefined;
    const state = await manifestState(prefix).catch(() => ({ kind: 'none' }) as const);
    if (state.kind === 'daybreak') {
      const under = normalizeUri(folder);
      return state.manifest.files
        .map((f) => ({ uri: joinUri(prefix, f.name), size: f.bytes }))
        .filter((o) => o.uri === under || o.uri.startsWith(`${under}/`))
        .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
    }
    const parent = dirname(prefix);
    if (parent === prefix || parent === '' || (isGcsUri(prefix) && !parent.slice(5).includes('/'))) break;
    prefix = parent;
  }
  return undefined;
}

/**
 * Resolves a dataset parameter into objects: a single file, a directory/prefix (recursive) or a
 * glob. A directory published by Daybreak resolves to the files its manifest lists; otherwise
 * files and folders starting with `_` or `.` (manifests, temporaries, `_work/`) are skipped.
 */
export async function resolveDataset(spec: string, opts: ResolveOptions = {}): Promise<ObjectInfo[]> {
  const extension = opts.extension ?? '.parquet';
  const storage = storageFor(spec);
  const keep = (base: string) => (o: ObjectInfo) => {
    const name = o.uri.slice(o.uri.lastIndexOf('/') + 1);
    const hidden = segmentsBelow(base, o.uri).some((s) => s.startsWith('_') || s.startsWith('.'));
    return name.endsWith(extension) && !hidden;
  };
  if (hasGlob(spec)) {
    const pattern = isGcsUri(spec) ? spec : normalizeUri(spec);
    const isMatch = picomatch(pattern, { dot: false });
    const base = globBase(pattern);
    const listed = await storage.list(base);
    return listed.filter((o) => isMatch(o.uri) && keep(base)(o));
  }
  const single = await storage.stat(spec);
  if (single) return [single];
  const published = await publishedFiles(spec);
  if (published) return published.filter((o) => o.uri.endsWith(extension));
  const base = normalizeUri(spec);
  return (await storage.list(spec)).filter(keep(base));
}
