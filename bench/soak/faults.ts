// The soak's fault injector: its own clock, independent of the rounds. Every few seconds (a seeded
// random gap) it starts a fault; each kind of fault is struck at least once, in a seeded random
// order, before kinds repeat. A fault runs to its end (its service back, its outage over) in the
// background while the clock goes on, so faults overlap, as they do in production; two faults of
// one kind never overlap, and neither do the faults of one `group` (the alert channels: one is
// down at a time, so an alert is always delivered by one channel at once and redelivered to the
// other). Every fault is logged with its start and end time.

export interface FaultKind {
  name: string;
  /** Struck once only (e.g. the full disk). */
  once?: boolean;
  /** How often it is picked once every kind was struck (default 1). */
  weight?: number;
  /** Faults of one group never overlap. */
  group?: string;
  /** Injects the fault and returns once it is over (its service back); returns a detail to log. */
  strike(): Promise<string | void>;
}

export interface FaultRecord {
  kind: string;
  startedAt: Date;
  endedAt?: Date;
  detail?: string;
  error?: string;
}

export interface FaultInjector {
  records: FaultRecord[];
  /** Starts no new fault; resolves once the faults under way are over. */
  stop(): Promise<void>;
}

/** A small deterministic random source (a seed repeats a soak's fault schedule). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function startFaultInjector(opts: {
  kinds: readonly FaultKind[];
  random: () => number;
  /** Gap between two fault starts: uniform in [min, max] ms. */
  gapMs: { min: number; max: number };
  log: (line: string) => void;
}): FaultInjector {
  const { kinds, random } = opts;
  const records: FaultRecord[] = [];
  const active = new Map<string, Promise<void>>(); // by kind
  const struck = new Set<string>();
  // Every kind once first, in a seeded random order.
  const deck = [...kinds];
  for (let i = deck.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [deck[i], deck[j]] = [deck[j]!, deck[i]!];
  }
  let stopped = false;
  let wake: () => void = () => undefined;

  const available = (k: FaultKind) =>
    !active.has(k.name) &&
    !(k.once && struck.has(k.name)) &&
    !(k.group && kinds.some((o) => o.group === k.group && active.has(o.name)));

  const next = (): FaultKind | undefined => {
    const fromDeck = deck.findIndex(available);
    if (fromDeck >= 0) return deck.splice(fromDeck, 1)[0];
    if (deck.length) return undefined; // the deck's next kinds are busy: wait for them
    const candidates = kinds.filter(available);
    const total = candidates.reduce((s, k) => s + (k.weight ?? 1), 0);
    let r = random() * total;
    for (const k of candidates) if ((r -= k.weight ?? 1) < 0) return k;
    return undefined;
  };

  const strike = (kind: FaultKind) => {
    const record: FaultRecord = { kind: kind.name, startedAt: new Date() };
    records.push(record);
    struck.add(kind.name);
    opts.log(`fault ${records.length}: ${kind.name} starts`);
    const running = kind
      .strike()
      .then(
        (detail) => {
          if (detail) record.detail = detail;
        },
        (err: unknown) => {
          record.error = String(err);
        },
      )
      .finally(() => {
        record.endedAt = new Date();
        active.delete(kind.name);
        const took = ((record.endedAt.getTime() - record.startedAt.getTime()) / 1000).toFixed(1);
        opts.log(
          `fault ${records.indexOf(record) + 1}: ${kind.name} over after ${took}s` +
            (record.detail ? ` (${record.detail})` : '') +
            (record.error ? ` FAILED: ${record.error}` : ''),
        );
      });
    active.set(kind.name, running);
  };

  const clock = (async () => {
    while (!stopped) {
      const gap = opts.gapMs.min + random() * (opts.gapMs.max - opts.gapMs.min);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, gap);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) break;
      const kind = next();
      if (kind) strike(kind);
    }
  })();

  return {
    records,
    async stop() {
      stopped = true;
      wake();
      await clock;
      await Promise.all(active.values());
    },
  };
}

/** Faults struck by kind (every kind listed, 0 when never struck). */
export function countByKind(
  records: readonly FaultRecord[],
  kinds: readonly FaultKind[],
): Map<string, number> {
  const counts = new Map(kinds.map((k) => [k.name, 0]));
  for (const r of records) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  return counts;
}
