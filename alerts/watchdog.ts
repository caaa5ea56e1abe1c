// Task-queue liveness for the watchdog: a dead worker's poller entry lingers in describeTaskQueue
// for minutes, so a queue is live only when some poller (workflow or activity) was seen within
// `staleSeconds`. Pollers re-poll at least every long-poll interval (about a minute by default),
// so the threshold must be well above that.
import type { Client } from '@temporalio/client';

export interface PollerView {
  identity: string;
  lastAccessMs: number;
}

export async function queuePollers(
  client: Client,
  namespace: string,
  taskQueue: string,
): Promise<PollerView[]> {
  // temporal.api.enums.v1.TaskQueueType WORKFLOW = 1, ACTIVITY = 2; TaskQueueKind NORMAL = 1.
  const types = [1, 2];
  const out: PollerView[] = [];
  for (const taskQueueType of types) {
    const res = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: 1 },
      taskQueueType,
    });
    for (const p of res.pollers ?? []) {
      const t = p.lastAccessTime;
      const ms = t ? Number(String(t.seconds ?? 0)) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
      out.push({ identity: p.identity ?? '?', lastAccessMs: ms });
    }
  }
  return out;
}

export function freshestAgeSeconds(pollers: PollerView[], nowMs = Date.now()): number | undefined {
  if (pollers.length === 0) return undefined;
  const newest = Math.max(...pollers.map((p) => p.lastAccessMs));
  return Math.max(0, (nowMs - newest) / 1000);
}
