// Staging inputs for DuckDB: local files are used in place, gs:// objects are downloaded into the
// task's scratch folder, a few at a time (hundreds of parallel downloads only thrash the disk).
// A staged file DuckDB then cannot read is bad input named by the URI the user knows it as.
import { ApplicationFailure } from '@temporalio/common';
import { badInput } from '../../lib/errors.js';
import { stagedGcsUri } from '../../lib/storage/gcs.js';
import { storageFor } from '../../lib/storage/index.js';

export async function stageAll(uris: string[], scratchDir: string, concurrency = 8): Promise<string[]> {
  const out: string[] = new Array(uris.length);
  let next = 0;
  const lane = async () => {
    while (next < uris.length) {
      const i = next++;
      out[i] = await storageFor(uris[i]!).stageIn(uris[i]!, scratchDir);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, uris.length) }, lane));
  return out;
}

// DuckDB's words for a Parquet file it cannot decode, each naming the file: a corrupt data page
// ('Failed to read file "f": Snappy decompression failure'), a damaged footer or a truncated file.
const UNREADABLE_FILE = [
  /Invalid Input Error: Failed to read file "(?<file>[^"]+)": (?<reason>.+)/,
  /Invalid Input Error: (?<reason>No magic bytes found at end of file) '(?<file>[^']+)'/,
  /Invalid Input Error: File '(?<file>[^']+)' (?<reason>too small to be a Parquet file)/,
];
const UNNAMED_DAMAGE = /^(Error: )?Invalid Error: (Out of buffer|TProtocolException: Invalid data)/;

/**
 * A plain error from a query that could not decode one of its input files becomes one
 * non-retryable BadInput naming the file (its gs:// URI when it was staged from GCS): a corrupt
 * page reads the same on every attempt. Anything else is returned unchanged.
 */
export function asUnreadableInput(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof ApplicationFailure) return err;
  const line = err.message.split('\n')[0]!;
  for (const pattern of UNREADABLE_FILE) {
    const found = pattern.exec(line)?.groups;
    if (!found) continue;
    const file = stagedGcsUri(found.file!) ?? found.file!;
    return badInput(
      `cannot read Parquet file ${file}: ${found.reason!} (the file is damaged: replace it and re-run)`,
    );
  }
  // Some damaged pages make DuckDB's Parquet decoder fail without naming the file: still the
  // same on every attempt, so not retried.
  if (UNNAMED_DAMAGE.test(line))
    return badInput(
      `an input Parquet file of this step is damaged (${line.replace(/^Error: /, '')}); check the step's input files`,
    );
  return err;
}
