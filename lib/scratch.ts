// Names of the folders tasks create under DAYBREAK_SCRATCH_DIR (staged inputs, DuckDB spill files,
// outputs before upload: raw PII among them) and the sweep that removes the ones nobody owns any
// more. A name carries its process: `<label>.p<pid>.<process token>.<uuid>`. A folder is stale
// when that process is gone, or when it is an earlier process with our pid (a restarted
// container gets the same pid; the token tells them apart). Folders of live processes on this
// host, and files that are not Daybreak's, are never touched.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Tells this process from an earlier one with the same pid. */
const PROCESS_TOKEN = randomUUID().slice(0, 8);

const OWNED = /\.p(\d+)\.([0-9a-f]{8})\.[0-9a-f-]{36}$/;
/** How task folders were named before they carried their process: only an earlier release made them. */
const LEGACY = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A fresh folder name for a task of this process. */
export function scratchName(label: string): string {
  return `${label}.p${process.pid}.${PROCESS_TOKEN}.${randomUUID()}`;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the scratch entry `name` belongs to no running process. */
export function isStaleScratch(name: string): boolean {
  const owned = OWNED.exec(name);
  if (!owned) return LEGACY.test(name);
  const pid = Number(owned[1]);
  if (pid === process.pid) return owned[2] !== PROCESS_TOKEN;
  return !processIsAlive(pid);
}

/** Removes the stale task folders under `dir`; returns their names. */
export async function sweepScratch(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const stale = names.filter(isStaleScratch);
  await Promise.all(stale.map((n) => fs.rm(path.join(dir, n), { recursive: true, force: true })));
  return stale;
}
