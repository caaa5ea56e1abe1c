// An independent average linkage to check lib/identity/link.ts: no component split, no link
// bookkeeping; every merge recomputes the mean over all scored pairs between the two clusters
// from scratch. Same rule: matched pairs (score >= threshold) strongest first (ties: by ids),
// merge when the mean log-odds of the scored pairs between the clusters reaches the threshold's.
export interface OraclePair {
  left: string;
  right: string;
  score: number;
}

const logOdds = (p: number) => {
  const q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  return Math.log(q / (1 - q));
};

/** record -> smallest record id of its cluster, for every id in `ids`. */
export function averageLinkageOracle(
  ids: string[],
  pairs: OraclePair[],
  threshold: number,
): Map<string, string> {
  const clusterOf = new Map(ids.map((id) => [id, new Set([id])]));
  const weight = new Map<string, number>();
  const key = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  for (const p of pairs) if (p.left !== p.right) weight.set(key(p.left, p.right), logOdds(p.score));
  const min = logOdds(threshold);
  const matched = pairs
    .filter((p) => p.score >= threshold && p.left !== p.right)
    .map((p) => ({ ...p, w: logOdds(p.score) }))
    .sort((x, y) => y.w - x.w || (x.left < y.left ? -1 : x.left > y.left ? 1 : x.right < y.right ? -1 : 1));
  for (const p of matched) {
    const a = clusterOf.get(p.left)!;
    const b = clusterOf.get(p.right)!;
    if (a === b) continue;
    let sum = 0;
    let n = 0;
    for (const x of a)
      for (const y of b) {
        const w = weight.get(key(x, y));
        if (w !== undefined) {
          sum += w;
          n++;
        }
      }
    if (sum / n < min) continue;
    for (const y of b) {
      a.add(y);
      clusterOf.set(y, a);
    }
  }
  return new Map(ids.map((id) => [id, [...clusterOf.get(id)!].sort()[0]!]));
}
