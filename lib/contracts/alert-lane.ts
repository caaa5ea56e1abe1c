// The alert lane (DESIGN 4): alert delivery, failure accounting and a failed run's output clean-up
// (which comes before its alert) run on a task queue of their own beside each pipeline task
// queue, `<queue>-alerts`, which every worker serves with slots of its own (DAYBREAK_ALERT_SLOTS),
// so an alert never waits behind data work for an activity slot. Named only here; pure, so
// workflows derive it from their own task queue.
const SUFFIX = '-alerts';

/** The alert lane of a pipeline task queue. */
export function alertTaskQueue(taskQueue: string): string {
  return `${taskQueue}${SUFFIX}`;
}

/** The pipeline task queue a lane serves (a pipeline queue is its own): where alert state workflows run. */
export function pipelineTaskQueue(taskQueue: string): string {
  return taskQueue.endsWith(SUFFIX) ? taskQueue.slice(0, -SUFFIX.length) : taskQueue;
}
