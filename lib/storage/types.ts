// One storage interface over local paths and gs://bucket/prefix URIs. DuckDB only ever sees local
// files: remote inputs are staged into a scratch folder and outputs are uploaded after writing.

export interface ObjectInfo {
  /** Full URI (a local absolute path, or gs://bucket/key). */
  uri: string;
  size: number;
}

export interface StorageBackend {
  /** Every object under a prefix (recursive), sorted by URI. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Size of one object, or undefined when it does not exist. */
  stat(uri: string): Promise<ObjectInfo | undefined>;
  readText(uri: string): Promise<string>;
  /** Writes a small object in one request (manifests, JSON results). */
  writeText(uri: string, text: string): Promise<void>;
  /** Makes `uri` available as a local file; returns its path (the same path for local storage). */
  stageIn(uri: string, scratchDir: string): Promise<string>;
  /** Moves a finished local file to `uri` (rename locally, resumable upload for GCS). */
  putFile(localPath: string, uri: string): Promise<void>;
  delete(uri: string): Promise<void>;
  /** Removes folders left empty under `prefix` (local disk; object stores have none). */
  removeEmptyFolders(prefix: string): Promise<void>;
}
