// Splitting input files into tasks of similar size, and a task's files into batches.
import type { ObjectInfo } from '../../lib/storage/index.js';

/** Splits files into `groups` lists of roughly equal bytes (largest first, greedy), each sorted. */
export function groupBySize(files: ObjectInfo[], groups: number): string[][] {
  const out = Array.from({ length: Math.max(1, Math.min(groups, files.length)) }, () => ({
    bytes: 0,
    uris: [] as string[],
  }));
  for (const f of [...files].sort((a, b) => b.size - a.size || (a.uri < b.uri ? -1 : 1))) {
    const smallest = out.reduce((m, g) => (g.bytes < m.bytes ? g : m), out[0]!);
    smallest.bytes += f.size;
    smallest.uris.push(f.uri);
  }
  return out.map((g) => g.uris.sort());
}

/** Groups of about `targetBytes` each (at least one group, at most one per file). */
export function groupByTarget(files: ObjectInfo[], targetBytes: number): string[][] {
  const total = files.reduce((s, f) => s + f.size, 0);
  return groupBySize(files, Math.max(1, Math.ceil(total / targetBytes)));
}

/**
 * Splits one map group's files (in order) into batches that one query reads together: up to
 * `maxBytes` (the batch that crosses it closes) and `maxFiles`. One query per batch instead of
 * per file builds per-query state once per batch (session-ranking's experts hash table: ~10% of
 * its map's CPU on 96 MB files); a batch is also the unit a retry resumes from, so batches stay
 * small.
 */
export function batchFiles(files: ObjectInfo[], maxBytes: number, maxFiles: number): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const f of files) {
    current.push(f.uri);
    bytes += f.size;
    if (bytes >= maxBytes || current.length >= maxFiles) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
