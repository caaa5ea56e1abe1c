// Pacing of the feature store's cleanup commands (publish.ts, legacy.ts) beside the API's reads.

/**
 * How the count check and the removal of old versions share Redis with the API. Each command is
 * short (redis-server 7.0 INFO commandstats: ~0.3 us of Redis per UNLINKed bucket key, ~0.9 us per
 * bucket HLEN'd in the script), so an API read waits behind at most ~0.1 ms of it; after each one
 * the caller sleeps `pauseFactor` times its round trip (at least `minPauseMs`), so cleanup holds at
 * most 1 / (1 + pauseFactor) of the time it sees Redis (and this client) answer: ~14% below. A
 * removed version is already unreachable, so its removal may take seconds; under load the round
 * trips grow and cleanup slows down with them.
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
  unlinkBatch: 200,
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
