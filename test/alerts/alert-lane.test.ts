// The alert lane: with every data slot of the only worker busy on long shards, a failing run's
// alert still arrives within 10 s, because alert activities run on `<queue>-alerts`, which every
// worker serves with slots of its own; daybreak_alert_latency_seconds measures it.
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { alertTaskQueue } from '../../lib/contracts/alert-lane.js';
import { registry } from '../../lib/metrics.js';
import { catalogue } from '../../pipelines/index.js';
import { startAlertingWorker, type AlertingWorker } from '../helpers/alerting-worker.js';
import holdSlotsPipeline from './alert-lane/definition.js';

let env: AlertingWorker;
const tag = randomUUID().slice(0, 6);

beforeAll(async () => {
  env = await startAlertingWorker(
    { DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '2' },
    {
      catalogue: catalogue([holdSlotsPipeline]),
      extraWorkflowModules: [fileURLToPath(new URL('./alert-lane/workflows.ts', import.meta.url))],
    },
  );
});
afterAll(async () => {
  await env?.stop();
});

test('with every data slot busy on long shards, a failing run alerts within 10 s', async () => {
  const busy = await env.client.workflow.start('holdSlots', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `hold-slots-${tag}/2019-02-02`,
    args: [{ runDate: '2019-02-02', params: { shards: 3, seconds: 120 } }],
  });
  try {
    // Both data slots taken (the third shard waits for one).
    for (;;) {
      const pending = (await busy.describe()).raw.pendingActivities ?? [];
      if (pending.filter((a) => Number(a.state) === 2 /* STARTED */).length === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const started = Date.now();
    const failing = await env.client.workflow.start('failAtOnce', {
      taskQueue: env.config.DAYBREAK_TASK_QUEUE,
      workflowId: `lane-failure-${tag}/2019-02-02`,
      args: [],
    });
    await expect(failing.result()).rejects.toThrow();
    const mails = await env.smtp.waitFor(1, 30_000);
    const alert = mails.find((m) => m.mail.subject?.includes(`lane-failure-${tag}`));
    expect(alert?.mail.subject).toBe(`[Daybreak] FAILED lane-failure-${tag} 2019-02-02: BadInput`);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The alert ran on the lane, not on the busy queue.
    const history = await failing.fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes ?? []);
    const alerting = scheduled.find((a) => a.activityType?.name === 'alertRunFailure');
    expect(alerting?.taskQueue?.name).toBe(alertTaskQueue(env.config.DAYBREAK_TASK_QUEUE));
    // Final failure to delivery, measured.
    const exposed = await registry.getSingleMetricAsString('daybreak_alert_latency_seconds');
    expect(exposed).toMatch(/^daybreak_alert_latency_seconds_count\{kind="failure"\} 1$/m);
    const sum = Number(/^daybreak_alert_latency_seconds_sum\{kind="failure"\} (\S+)$/m.exec(exposed)?.[1]);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(10);
    // The data slots were busy all along.
    const stillBusy = (await busy.describe()).raw.pendingActivities ?? [];
    expect(stillBusy.length).toBe(3);
  } finally {
    await busy.terminate('test over').catch(() => undefined);
  }
});
