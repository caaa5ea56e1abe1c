// Entry point of the storage layer: pick the backend for a URI, resolve dataset parameters
// (a file, a directory or a glob) into objects, stage them for DuckDB.
import picomatch from 'picomatch';
import { LocalStorage } from './local.js';
import type { ObjectInfo, StorageBackend } from './types.js';
import { hasGlob, isGcsUri, normalizeUri } from './uri.js';

export type { ObjectInfo, StorageBackend } from './types.js';
export * from './uri.js';

const local = new LocalStorage();
let gcsFactory: (() => StorageBackend) | undefined;
let gcs: StorageBackend | undefined;

/** Registers the GCS backend (lib/storage/gcs.ts) so local-only users never load its client. */
export function registerGcsBackend(factory: () => StorageBackend): void {
  gcsFactory = factory;
  gcs = undefined;
}

export function storageFor(uri: string): StorageBackend {
  if (!isGcsUri(uri)) return local;
  if (!gcsFactory) throw new Error(`GCS storage is not configured; cannot open ${uri}`);
  gcs ??= gcsFactory();
  return gcs;
}

/** The part of a glob before its first wildcard segment: the prefix to list. */
function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const idx = parts.findIndex((p) => hasGlob(p));
  return parts.slice(0, idx).join('/');
}

export interface ResolveOptions {
  /** Keep only objects whose name matches (default: *.parquet). */
  extension?: string;
}

/**
 * Resolves a dataset parameter into objects: a single file, a directory/prefix (recursive) or a
 * glob. Files starting with `_` or `.` (manifests, temporaries) are skipped in listings.
 */
export async function resolveDataset(spec: string, opts: ResolveOptions = {}): Promise<ObjectInfo[]> {
  const extension = opts.extension ?? '.parquet';
  const storage = storageFor(spec);
  const keep = (o: ObjectInfo) => {
    const name = o.uri.slice(o.uri.lastIndexOf('/') + 1);
    return name.endsWith(extension) && !name.startsWith('_') && !name.startsWith('.');
  };
  if (hasGlob(spec)) {
    const pattern = isGcsUri(spec) ? spec : normalizeUri(spec);
    const isMatch = picomatch(pattern, { dot: false });
    const listed = await storage.list(globBase(pattern));
    return listed.filter((o) => isMatch(o.uri) && keep(o));
  }
  const single = await storage.stat(spec);
  if (single) return [single];
  return (await storage.list(spec)).filter(keep);
}
