// A task's private scratch folder under DAYBREAK_SCRATCH_DIR (staged inputs, files before upload),
// unique per attempt so a retry never trips over a killed attempt's leftovers. Removed when the
// task ends, whatever happens; what a killed process left is swept (lib/scratch.ts) after each
// task and when a worker starts, so no raw input stays at rest.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../lib/config.js';
import { scratchName, sweepScratch } from '../../lib/scratch.js';

export async function makeScratch(config: Config, label: string): Promise<string> {
  const dir = path.join(config.DAYBREAK_SCRATCH_DIR, scratchName(label));
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** Runs `fn` with a fresh scratch folder and removes it afterwards (and any stale ones), whatever happens. */
export async function withScratch<T>(
  config: Config,
  label: string,
  fn: (scratch: string) => Promise<T>,
): Promise<T> {
  const scratch = await makeScratch(config, label);
  try {
    return await fn(scratch);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
    await sweepScratch(config.DAYBREAK_SCRATCH_DIR).catch(() => undefined); // best effort: the next task retries
  }
}
