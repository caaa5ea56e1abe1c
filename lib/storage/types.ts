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
  /** Objects directly in the folder `prefix` whose names start with `namePrefix` (not recursive). */
  listNamed(prefix: string, namePrefix: string): Promise<ObjectInfo[]>;
  /** Size of one object, or undefined when it does not exist. */
  stat(uri: string): Promise<ObjectInfo | undefined>;
  /**
   * The storage's own identity of the object's current bytes (GCS: its generation; local disk:
   * inode, size and modification time), or undefined when it does not exist. It changes whenever
   * the object is rewritten, so a checksum taken under one fingerprint still holds while it lasts.
   */
  fingerprint(uri: string): Promise<string | undefined>;
  readText(uri: string): Promise<string>;
  /** Writes a small object in one request (manifests, JSON results); never visible half-written. */
  writeText(uri: string, text: string): Promise<void>;
  /**
   * Creates a small object only if none exists under that name (GCS: ifGenerationMatch=0; local:
   * a hard link of a complete temporary file). False when it already existed: the lock primitive.
   */
  createExclusive(uri: string, text: string): Promise<boolean>;
  /** Makes `uri` available as a local file; returns its path (the same path for local storage). */
  stageIn(uri: string, scratchDir: string): Promise<string>;
  /** Moves a finished local file to `uri` (rename locally, resumable upload for GCS). */
  putFile(localPath: string, uri: string): Promise<void>;
  delete(uri: string): Promise<void>;
  /** Removes folders left empty under `prefix` (local disk; object stores have none). */
  removeEmptyFolders(prefix: string): Promise<void>;
}
