// The one shard-count rule of every pipeline: an automatic count is one shard per so many bytes
// of input, at least one and at most a cap (MAX_SHARDS, or less where a pipeline says why); an
// explicit `shards` parameter is at most MAX_SHARDS too. Each shard is an activity of its own, so
// past a few hundred the per-task overhead and the workflow history dominate.
export const MAX_SHARDS = 256;

/** One shard per `perShard` (bytes, rows, entities) of `total`, within [1, cap]. */
export function autoShards(total: number, perShard: number, cap = MAX_SHARDS): number {
  return Math.min(cap, MAX_SHARDS, Math.max(1, Math.ceil(total / perShard)));
}
