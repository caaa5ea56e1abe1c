// Splitting input files into tasks of similar size.
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
