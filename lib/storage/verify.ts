// Re-verifies a published output from scratch, trusting nothing but its bytes: every file its
// manifest lists exists with that size and SHA-256 (and, for Parquet, that row count), and the
// prefix holds no run-tagged file the manifest does not list once no run is writing it (a partial
// or duplicated output). Used by the chaos tests and the soak driver (bench/soak).
import fs from 'node:fs/promises';
import path from 'node:path';
import { parquetRowsPerFile, withDuckDB } from '../duckdb.js';
import { storageFor } from './backends.js';
import { MANIFEST_NAME, readManifest, sha256File, type Manifest } from './manifest.js';
import { LOCK_PREFIX, WORK_FOLDER } from './publish.js';
import { joinUri } from './uri.js';

export interface OutputVerification {
  prefix: string;
  manifest?: Manifest;
  /** Each a sentence naming the file and what is wrong; empty when the output is sound. */
  problems: string[];
}

/** Daybreak's run tag in a file name (`part-00000-1a2b3c4d5e.parquet`): ten hex digits. */
const RUN_TAGGED = /-[0-9a-f]{10}(\.|$)/;

/**
 * Verifies the output at `prefix` (local or gs://), staging gs:// files into `scratchDir`.
 * `settled`: no run is writing the prefix now, so a `_work/`, a lock or an unlisted run-tagged file
 * is a leftover (with a run under way they are its work in progress).
 */
export async function verifyOutput(
  prefix: string,
  scratchDir: string,
  opts: { settled?: boolean } = {},
): Promise<OutputVerification> {
  const storage = storageFor(prefix);
  const manifest = await readManifest(prefix);
  if (!manifest) return { prefix, problems: [`${prefix} has no Daybreak ${MANIFEST_NAME} manifest`] };
  const problems: string[] = [];
  const scratch = await fs.mkdtemp(path.join(scratchDir, 'verify-'));
  try {
    const parquet: { local: string; name: string; rows: number }[] = [];
    for (const f of manifest.files) {
      const uri = joinUri(prefix, f.name);
      const info = await storage.stat(uri);
      if (!info) {
        problems.push(`${uri} is listed by the manifest but missing`);
        continue;
      }
      if (info.size !== f.bytes) problems.push(`${uri} has ${info.size} bytes; the manifest says ${f.bytes}`);
      const local = await storage.stageIn(uri, scratch);
      const sha = await sha256File(local);
      if (sha !== f.sha256) problems.push(`${uri} has SHA-256 ${sha}; the manifest says ${f.sha256}`);
      else if (f.name.endsWith('.parquet')) parquet.push({ local, name: f.name, rows: f.rows });
    }
    if (parquet.length) {
      const rows = await withDuckDB({ scratchDir: scratch, threads: 1 }, (conn) =>
        parquetRowsPerFile(
          conn,
          parquet.map((p) => p.local),
        ),
      );
      for (const p of parquet) {
        const found = rows.get(p.local);
        if (found !== p.rows)
          problems.push(`${joinUri(prefix, p.name)} has ${found} rows; the manifest says ${p.rows}`);
      }
    }
    const rowsTotal = manifest.files.reduce((s, f) => s + f.rows, 0);
    if (manifest.totals.rows !== rowsTotal || manifest.totals.files !== manifest.files.length)
      problems.push(`${prefix}: the manifest's totals do not add up over its files`);
    if (opts.settled) {
      const listed = new Set(manifest.files.map((f) => f.name));
      const objects = (await storage.list(prefix)).map((o) => ({
        uri: o.uri,
        name: o.uri.slice(prefix.replace(/\/+$/, '').length + 1),
      }));
      // A folder inside with a manifest of its own is another output (verified on its own).
      const nested = objects
        .filter((o) => o.name !== MANIFEST_NAME && o.name.endsWith(`/${MANIFEST_NAME}`))
        .map((o) => o.name.slice(0, -MANIFEST_NAME.length));
      for (const obj of objects) {
        const name = obj.name;
        if (name === MANIFEST_NAME || listed.has(name) || nested.some((n) => name.startsWith(n))) continue;
        if (name.startsWith(`${WORK_FOLDER}/`) || RUN_TAGGED.test(path.posix.basename(name)))
          problems.push(`${obj.uri} is left over: a run's file that the manifest does not list`);
        else if (name.startsWith(LOCK_PREFIX)) continue; // a failed run's lock stays until the next run
      }
    }
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
  return { prefix, manifest, problems };
}
