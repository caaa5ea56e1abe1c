// Waiting for a stage of parallel tasks in a workflow (deterministic: no timers, no I/O).

/**
 * Every task's result once all have settled, else the first failure. A shuffle stage's tasks write
 * large files (partitions, bucket outputs): a run failing while a sibling still writes would leave
 * what the sibling writes after the run's abort until the next run of the output, so a failing
 * stage waits for its other tasks (each ends on its own retry policy) before it fails.
 */
export async function allSettledOrFirstFailure<T>(tasks: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
