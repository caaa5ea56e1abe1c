// The publishing rule: a prefix holds a complete output only when its `_SUCCESS` manifest exists.
// A run first removes the old manifest, writes its files under deterministic names (a retry
// overwrites rather than duplicates), removes files the new manifest does not list, and writes the
// manifest last. Readers and sensors trust only prefixes with a manifest.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { storageFor } from './index.js';
import { joinUri } from './uri.js';

export const MANIFEST_NAME = '_SUCCESS';

export interface ManifestFile {
  /** Path relative to the output prefix, e.g. part-00003.parquet */
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface Manifest {
  version: 1;
  pipeline: string;
  runDate: string;
  createdAt: string;
  files: ManifestFile[];
  totals: { files: number; rows: number; bytes: number };
  /** Pipeline-specific figures (rows in/out, match rate, ...). */
  report?: Record<string, unknown>;
}

/**
 * SHA-256 of a file, read through one reused 1 MB buffer: a stream allocates a new buffer per
 * chunk, and gigabytes of them kept the worker's garbage collector busy on every core.
 */
export async function sha256File(localPath: string): Promise<string> {
  const hash = createHash('sha256');
  const file = await fs.open(localPath, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** Describes a finished local file for the manifest (size and checksum). */
export async function describeLocalFile(
  localPath: string,
  name: string,
  rows: number,
): Promise<ManifestFile> {
  const [st, sha256] = await Promise.all([fs.stat(localPath), sha256File(localPath)]);
  return { name, rows, bytes: st.size, sha256 };
}

export async function readManifest(prefix: string): Promise<Manifest | undefined> {
  const storage = storageFor(prefix);
  const uri = joinUri(prefix, MANIFEST_NAME);
  if (!(await storage.stat(uri))) return undefined;
  return JSON.parse(await storage.readText(uri)) as Manifest;
}

/** Step 1 of a run that writes `prefix`: readers stop trusting the old output. */
export async function beginOutput(prefix: string): Promise<void> {
  await storageFor(prefix).delete(joinUri(prefix, MANIFEST_NAME));
}

/** Moves a finished local file into the output under its deterministic name and describes it. */
export async function putOutputFile(
  prefix: string,
  localPath: string,
  name: string,
  rows: number,
): Promise<ManifestFile> {
  const entry = await describeLocalFile(localPath, name, rows);
  await storageFor(prefix).putFile(localPath, joinUri(prefix, name));
  return entry;
}

/** Last step: remove anything the manifest does not list, then write the manifest. */
export async function commitOutput(
  prefix: string,
  meta: { pipeline: string; runDate: string; report?: Record<string, unknown> },
  files: ManifestFile[],
): Promise<Manifest> {
  const storage = storageFor(prefix);
  const keep = new Set(files.map((f) => joinUri(prefix, f.name)));
  for (const obj of await storage.list(prefix)) {
    if (!keep.has(obj.uri)) await storage.delete(obj.uri);
  }
  await storage.removeEmptyFolders(prefix);
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : 1));
  const manifest: Manifest = {
    version: 1,
    pipeline: meta.pipeline,
    runDate: meta.runDate,
    createdAt: new Date().toISOString(),
    files: sorted,
    totals: {
      files: sorted.length,
      rows: sorted.reduce((s, f) => s + f.rows, 0),
      bytes: sorted.reduce((s, f) => s + f.bytes, 0),
    },
    report: meta.report,
  };
  await storage.writeText(joinUri(prefix, MANIFEST_NAME), JSON.stringify(manifest, null, 2));
  return manifest;
}
