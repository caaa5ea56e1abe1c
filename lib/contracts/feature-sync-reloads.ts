// How often a sync loads the shards Redis lost before it gives up, and the words it gives up with:
// shared by the workflow and the in-process sync (workflow-safe: no Node imports).

/** Publish attempts of one version; after each refused one the short shards are loaded again. */
export const MAX_PUBLISH_ROUNDS = 3;

export function keptIncompleteMessage(
  view: string,
  version: number,
  incomplete: { shards: number[]; expected: number; found: number },
): string {
  return `version ${version} of ${view}: Redis held ${incomplete.found} of ${incomplete.expected} entities after ${MAX_PUBLISH_ROUNDS} loads (shards ${incomplete.shards.join(', ')} short); not switching. Is Redis restarting or evicting keys (maxmemory-policy)?`;
}
