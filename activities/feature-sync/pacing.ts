// Pacing of the feature store's cleanup commands (publish.ts, legacy.ts) beside the API's reads.

/**
 * How the count check and the removal of old versions share Redis with the API. Each command is
 * short, so an API read waits behind at most one: Redis's own time (INFO commandstats, 64-entity
 * buckets) is 0.2-2.3 us per UNLINKed bucket key and 0.9-4.3 us per bucket a count script HLENs,
 * the higher figures in bench:feature-api on a busy 2-core machine, so up to ~0.25 ms per UNLINK
 * and ~0.45 ms per count script below (500 keys and 250 buckets, the earlier sizes, were 2.5-5x
 * that). Sent back to back, though, they compete with the API for Redis and CPU for the whole
 * cleanup. After each one the caller sleeps `pauseFactor` times its round trip (at least
 * `minPauseMs`), so cleanup holds at most 1 / (1 + pauseFactor) of the time it sees Redis (and
 * this client) answer: ~14% below. A removed version is already unreachable, so its removal may
 * take seconds; under load the round trips grow and cleanup slows down with them.
 */
export interface CleanupPacing {
  /** Bucket keys per UNLINK (legacy versions: entity keys). */
  unlinkBatch: number;
  /** Buckets one count script sums. */
  countBatch: number;
  pauseFactor: number;
  minPauseMs: number;
}
export const CLEANUP_PACING: CleanupPacing = {
  unlinkBatch: 100,
  countBatch: 100,
  pauseFactor: 6,
  minPauseMs: 1,
};

/** Runs one cleanup command, then sleeps as `pacing` says; returns its result. */
export async function paced<T>(pacing: CleanupPacing, command: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await command();
  const pause = Math.max(pacing.minPauseMs, (performance.now() - start) * pacing.pauseFactor);
  if (pause > 0) await new Promise((r) => setTimeout(r, pause));
  return result;
}
