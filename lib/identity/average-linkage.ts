// Average linkage over a component of matched records: connected components merge two clusters
// as soon as any one pair between them matches, so a single false match chains two people
// together (and a chain of them, many). Here the matched pairs are taken strongest first, and two
// clusters merge only when the mean weight of every scored pair between them reaches the model's
// threshold weight: one strong link does not outvote several pairs that clearly differ. Pairs
// between them that blocking never scored carry no evidence and are left out of the mean.
// Measured (issue 19, BENCHMARKS.md): cluster precision 0.93 -> 0.99 on world 2 at ~1 point of
// recall. Pure and deterministic (ties broken by record ids): a re-run links identically.

export interface ScoredPair {
  left: string;
  right: string;
  /** The pair's match weight: the log-odds of its score. */
  weight: number;
}

/** Log-odds of a match probability, clamped so that scores of exactly 0 or 1 stay finite. */
export function matchWeight(probability: number): number {
  const p = Math.min(Math.max(probability, 1e-12), 1 - 1e-12);
  return Math.log(p / (1 - p));
}

interface Link {
  sum: number;
  n: number;
}

/**
 * Clusters the records of `pairs` (every record in them ends in one cluster): returns each
 * record's cluster label, the smallest record id of its cluster. `minWeight` is the threshold's
 * match weight: pairs below it never start a merge, but count in the means.
 */
export function averageLinkage(pairs: readonly ScoredPair[], minWeight: number): Map<string, string> {
  const parent = new Map<string, string>();
  const members = new Map<string, string[]>();
  // Per cluster root: the other clusters it has scored pairs with, and their sum and count.
  const links = new Map<string, Map<string, Link>>();
  const root = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    return r;
  };
  const linksOf = (r: string) => {
    let l = links.get(r);
    if (!l) links.set(r, (l = new Map()));
    return l;
  };
  for (const p of pairs)
    for (const id of [p.left, p.right])
      if (!parent.has(id)) {
        parent.set(id, id);
        members.set(id, [id]);
      }
  for (const p of pairs) {
    if (p.left === p.right) continue;
    for (const [a, b] of [
      [p.left, p.right],
      [p.right, p.left],
    ] as const) {
      const l = linksOf(a);
      const cur = l.get(b) ?? { sum: 0, n: 0 };
      l.set(b, { sum: cur.sum + p.weight, n: cur.n + 1 });
    }
  }

  const order = pairs
    .filter((p) => p.weight >= minWeight && p.left !== p.right)
    .sort((x, y) => y.weight - x.weight || cmp(x.left, y.left) || cmp(x.right, y.right));
  for (const p of order) {
    const a = root(p.left);
    const b = root(p.right);
    if (a === b) continue;
    const between = linksOf(a).get(b)!;
    if (between.sum / between.n < minWeight) continue;
    // Merge the smaller cluster into the larger: its links move, each summed into the survivor's.
    const [keep, gone] = members.get(a)!.length >= members.get(b)!.length ? [a, b] : [b, a];
    parent.set(gone, keep);
    members.get(keep)!.push(...members.get(gone)!);
    members.delete(gone);
    const keepLinks = linksOf(keep);
    keepLinks.delete(gone);
    for (const [other, l] of linksOf(gone)) {
      if (other === keep) continue;
      const cur = keepLinks.get(other) ?? { sum: 0, n: 0 };
      const merged = { sum: cur.sum + l.sum, n: cur.n + l.n };
      keepLinks.set(other, merged);
      const otherLinks = linksOf(other);
      otherLinks.delete(gone);
      otherLinks.set(keep, merged);
    }
    links.delete(gone);
  }

  const label = new Map<string, string>();
  for (const ids of members.values()) {
    const smallest = ids.reduce((m, id) => (cmp(id, m) < 0 ? id : m));
    for (const id of ids) label.set(id, smallest);
  }
  return label;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
