// An independent connected-components implementation (union-find with path halving and union by
// size) to check the SQL label propagation: record -> smallest record id of its component.
export function unionFindClusters(ids: string[], edges: [string, string][]): Map<string, string> {
  const index = new Map(ids.map((id, i) => [id, i]));
  const parent = ids.map((_, i) => i);
  const size = ids.map(() => 1);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  for (const [a, b] of edges) {
    const ra = find(index.get(a)!);
    const rb = find(index.get(b)!);
    if (ra === rb) continue;
    const [big, small] = size[ra]! >= size[rb]! ? [ra, rb] : [rb, ra];
    parent[small] = big;
    size[big]! += size[small]!;
  }
  const smallest = new Map<number, string>();
  ids.forEach((id, i) => {
    const r = find(i);
    const cur = smallest.get(r);
    if (cur === undefined || id < cur) smallest.set(r, id);
  });
  return new Map(ids.map((id, i) => [id, smallest.get(find(i))!]));
}
