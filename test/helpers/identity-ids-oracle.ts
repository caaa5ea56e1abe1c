// An independent computation of the persistent identity-id rule (lib/identity/identity-ids.ts) in
// plain TypeScript, for tests: from today's components, yesterday's ids and aliases and the run
// date, the ids every record gets and the alias table.

export interface Alias {
  old: string;
  id: string;
  mergedOn: string;
}

const MINTED = /^i(\d{8})-(\d+)$/;

/** Oldest first: ids of any other form before minted ones (string order), minted by (date, n). */
export function compareAge(a: string, b: string): number {
  const ma = MINTED.exec(a);
  const mb = MINTED.exec(b);
  if (!ma || !mb) {
    if (ma) return 1;
    if (mb) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (ma[1] !== mb[1]) return ma[1]! < mb[1]! ? -1 : 1;
  const d = Number(ma[2]) - Number(mb[2]);
  return d !== 0 ? d : 0;
}

function countBy<K>(keys: Iterable<K>): Map<K, number> {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

export function expectedIdentities(input: {
  /** record -> a label shared by the records of its component. */
  components: Map<string, string>;
  /** record -> yesterday's identity id (empty: no previous day). */
  previous: Map<string, string>;
  previousAliases: Alias[];
  runDate: string;
}): { ids: Map<string, string>; aliases: Alias[] } {
  const members = new Map<string, string[]>();
  for (const [record, comp] of input.components) {
    const list = members.get(comp);
    if (list) list.push(record);
    else members.set(comp, [record]);
  }
  const first = new Map([...members].map(([c, rs]) => [c, rs.reduce((a, b) => (b < a ? b : a))]));
  // Each component's choice: the id most of its records had, ties the oldest.
  const claims: { comp: string; id: string; n: number }[] = [];
  for (const [comp, records] of members) {
    const votes = countBy(records.flatMap((r) => (input.previous.has(r) ? [input.previous.get(r)!] : [])));
    let best: [string, number] | undefined;
    for (const [id, n] of votes)
      if (!best || n > best[1] || (n === best[1] && compareAge(id, best[0]) < 0)) best = [id, n];
    if (best) claims.push({ comp, id: best[0], n: best[1] });
  }
  // Per claimed id, the component with most of its records (ties: smallest first record) keeps it.
  const keeper = new Map<string, { comp: string; n: number }>();
  for (const c of claims) {
    const k = keeper.get(c.id);
    if (!k || c.n > k.n || (c.n === k.n && first.get(c.comp)! < first.get(k.comp)!))
      keeper.set(c.id, { comp: c.comp, n: c.n });
  }
  const compId = new Map<string, string>();
  for (const [id, k] of keeper) compId.set(k.comp, id);
  const fresh = [...members.keys()]
    .filter((c) => !compId.has(c))
    .sort((a, b) => (first.get(a)! < first.get(b)! ? -1 : 1));
  const date = input.runDate.replaceAll('-', '');
  fresh.forEach((c, i) => compId.set(c, `i${date}-${i + 1}`));
  const ids = new Map([...input.components].map(([r, c]) => [r, compId.get(c)!]));

  // Yesterday's ids nobody kept: to the identity holding most of their records (ties: oldest).
  const moved = new Map<string, Map<string, number>>();
  for (const [record, old] of input.previous) {
    if (keeper.has(old) || !ids.has(record)) continue;
    const to = moved.get(old) ?? new Map<string, number>();
    to.set(ids.get(record)!, (to.get(ids.get(record)!) ?? 0) + 1);
    moved.set(old, to);
  }
  const merged = new Map<string, string>();
  for (const [old, to] of moved) {
    let best: [string, number] | undefined;
    for (const [id, n] of to)
      if (!best || n > best[1] || (n === best[1] && compareAge(id, best[0]) < 0)) best = [id, n];
    merged.set(old, best![0]);
  }
  const aliases: Alias[] = [
    ...input.previousAliases.map((a) => ({ ...a, id: merged.get(a.id) ?? a.id })),
    ...[...merged].map(([old, id]) => ({ old, id, mergedOn: input.runDate })),
  ].sort((a, b) => (a.old < b.old ? -1 : a.old > b.old ? 1 : 0));
  return { ids, aliases };
}
