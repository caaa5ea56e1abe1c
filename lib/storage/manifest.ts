// The `_SUCCESS` manifest: what a published output is. A prefix holds a complete output only when
// its manifest exists, and readers trust only the files it lists (lib/storage/publish.ts writes
// it; DESIGN 2.2). Version 2 records the run that published it and leaves room for lineage
// (`inputs`) and data-quality results (`checks`).
import fs from 'node:fs/promises';
import { storageFor } from './backends.js';
import { sha256File } from './sha256.js';
import { joinUri } from './uri.js';

export const MANIFEST_NAME = '_SUCCESS';

export interface ManifestFile {
  /** Path relative to the output prefix, e.g. part-00003-1a2b3c4d5e.parquet */
  name: string;
  rows: number;
  bytes: number;
  /** SHA-256 (hex) of the file's final bytes. */
  sha256: string;
}

/** The run that published an output: its Temporal workflow id and run id. */
export interface ManifestRun {
  workflowId: string;
  runId: string;
}

export interface Manifest {
  /** 1: written before runs were recorded (no `run`); 2: the current form. */
  version: 1 | 2;
  pipeline: string;
  runDate: string;
  createdAt: string;
  /** The run that published it (version 2). */
  run?: ManifestRun;
  files: ManifestFile[];
  totals: { files: number; rows: number; bytes: number };
  /** Pipeline-specific figures (rows in/out, match rate, ...). */
  report?: Record<string, unknown>;
  /** Lineage: the input manifests this output was computed from (one entry per input). */
  inputs?: Record<string, unknown>[];
  /** Data-quality checks run on the staged output before it was committed. */
  checks?: Record<string, unknown>[];
}

/** The newest manifest version this code writes. */
export const MANIFEST_VERSION = 2;

export { sha256File } from './sha256.js';

/** Describes a finished local file for the manifest (size and checksum). */
export async function describeLocalFile(
  localPath: string,
  name: string,
  rows: number,
): Promise<ManifestFile> {
  const [st, sha256] = await Promise.all([fs.stat(localPath), sha256File(localPath)]);
  return { name, rows, bytes: st.size, sha256 };
}

/** A parsed `_SUCCESS` that Daybreak wrote (other tools write an empty `_SUCCESS`, e.g. Spark). */
export function isDaybreakManifest(value: unknown): value is Manifest {
  const m = value as Partial<Manifest> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    (m.version === 1 || m.version === 2) &&
    typeof m.pipeline === 'string' &&
    Array.isArray(m.files) &&
    m.files.every((f) => typeof f?.name === 'string' && typeof f.sha256 === 'string')
  );
}

/** What a prefix's `_SUCCESS` is: absent, Daybreak's manifest, or another tool's file. */
export type ManifestState = { kind: 'none' } | { kind: 'daybreak'; manifest: Manifest } | { kind: 'foreign' };

export async function manifestState(prefix: string): Promise<ManifestState> {
  const storage = storageFor(prefix);
  const uri = joinUri(prefix, MANIFEST_NAME);
  if (!(await storage.stat(uri))) return { kind: 'none' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await storage.readText(uri));
  } catch {
    return { kind: 'foreign' };
  }
  return isDaybreakManifest(parsed) ? { kind: 'daybreak', manifest: parsed } : { kind: 'foreign' };
}

/** The prefix's Daybreak manifest, or undefined when it has none (or another tool's `_SUCCESS`). */
export async function readManifest(prefix: string): Promise<Manifest | undefined> {
  const state = await manifestState(prefix);
  return state.kind === 'daybreak' ? state.manifest : undefined;
}
