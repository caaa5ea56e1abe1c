// A task's private scratch folder under DAYBREAK_SCRATCH_DIR (staged inputs, files before upload),
// unique per attempt so a retry never trips over a killed attempt's leftovers.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../lib/config.js';

export async function makeScratch(config: Config, label: string): Promise<string> {
  const dir = path.join(config.DAYBREAK_SCRATCH_DIR, `${label}-${randomUUID()}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** Runs `fn` with a fresh scratch folder and removes it afterwards, whatever happens. */
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
  }
}
