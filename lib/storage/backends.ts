// Which backend serves a URI: the local disk, or GCS once a worker or command registered it (so
// local-only users never load the GCS client).
import { LocalStorage } from './local.js';
import type { StorageBackend } from './types.js';
import { isGcsUri } from './uri.js';

const local = new LocalStorage();
let gcsFactory: (() => StorageBackend) | undefined;
let gcs: StorageBackend | undefined;

/** Registers the GCS backend (lib/storage/gcs.ts). */
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
