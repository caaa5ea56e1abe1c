// Schedule reads go through the server's per-schedule workflow (a query); on a busy server they
// can hit the RPC deadline. Reads and idempotent changes (pause, unpause) are tried again; trigger
// and backfill are not, since a second attempt could start runs twice.
const TRANSIENT_GRPC_CODES = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);

function isTransient(err: unknown): boolean {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if (TRANSIENT_GRPC_CODES.has((e as { code?: unknown }).code as number)) return true;
  }
  return false;
}

export async function retryTransient<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isTransient(err)) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}
