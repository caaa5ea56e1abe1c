// Test helpers: a config pointing at the suite's dev server with private folders, and an
// in-process worker on a task queue of its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../../lib/config.js';
import { localActivityMarker } from '../../lib/local-activity-marker.js';
import { waitForRun } from '../../lib/runs.js';
import { connectClient } from '../../lib/temporal.js';
import { createWorker, type CreateWorkerOptions } from '../../workers/worker.js';

export function tempDir(label = 'daybreak-test'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
}

/** Config for a test: the suite's dev server, a fresh data root and scratch folder, a unique queue. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const root = tempDir();
  return loadConfig({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_CLI: inject('temporalCli'),
    DAYBREAK_DATA_ROOT: path.join(root, 'data'),
    DAYBREAK_STATE_DIR: path.join(root, 'state'),
    DAYBREAK_SCRATCH_DIR: path.join(root, 'scratch'),
    DAYBREAK_TASK_QUEUE: `test-${randomUUID()}`,
    DAYBREAK_DUCKDB_THREADS: '2',
    // Parallel test files must not fight over the SDK exporter's port (tests that scrape it set one).
    TEMPORAL_METRICS_PORT: '0',
    ...overrides,
  });
}

export interface TestWorker {
  config: Config;
  client: Client;
  worker: Worker;
  stop(): Promise<void>;
}

/**
 * Starts an in-process worker and a client for `config` (its task queue). `pipelines` gives it a
 * catalogue with a test's own pipelines, and their workflow modules to bundle.
 */
export async function startTestWorker(
  config: Config,
  pipelines?: Pick<CreateWorkerOptions, 'catalogue' | 'extraWorkflowModules' | 'clientInterceptors'>,
): Promise<TestWorker> {
  const client = await connectClient(config);
  const worker = await createWorker({ config, ...pipelines });
  const running = worker.run();
  return {
    config,
    client,
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await client.connection.close();
    },
  };
}

/**
 * Each activity attempt that started, with its worker, from the workflow history; a local activity
 * (noteRunStarted, a plan step, resolveRunAlerts) once, with its last attempt.
 */
export async function activityStarts(
  client: Client,
  workflowId: string,
): Promise<{ type: string; attempt: number; identity: string }[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const starts: { type: string; attempt: number; identity: string }[] = [];
  const identities = new Map<number, string>();
  for (const event of history.events ?? []) {
    const completed = event.workflowTaskCompletedEventAttributes;
    if (completed) identities.set(Number(String(event.eventId)), completed.identity ?? '');
    // A local activity shows once, with its last attempt, when it finished.
    const local = localActivityMarker(event);
    if (local)
      starts.push({
        type: local.activityType,
        attempt: local.attempt,
        identity: identities.get(local.workflowTaskCompletedEventId ?? -1) ?? '',
      });
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), s.activityType?.name ?? '');
    const st = event.activityTaskStartedEventAttributes;
    if (st)
      starts.push({
        type: scheduled.get(String(st.scheduledEventId)) ?? '',
        attempt: st.attempt ?? 0,
        identity: st.identity ?? '',
      });
  }
  return starts;
}

/**
 * The steps that failed for good in a run, from its history: an activity task's last failed attempt
 * (ActivityTaskFailed), or a local activity's marker with its failure (the plan steps: their
 * failure reaches the workflow as thrown, without an ActivityFailure around it).
 */
export async function failedSteps(
  client: Client,
  workflowId: string,
): Promise<{ type: string; attempt: number }[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const byId = new Map((history.events ?? []).map((e) => [String(e.eventId), e]));
  const failed: { type: string; attempt: number }[] = [];
  for (const event of history.events ?? []) {
    const local = localActivityMarker(event);
    if (local?.failed) failed.push({ type: local.activityType, attempt: local.attempt });
    const f = event.activityTaskFailedEventAttributes;
    if (f) {
      const scheduled = byId.get(String(f.scheduledEventId))?.activityTaskScheduledEventAttributes;
      const started = byId.get(String(f.startedEventId))?.activityTaskStartedEventAttributes;
      failed.push({ type: scheduled?.activityType?.name ?? '', attempt: started?.attempt ?? 0 });
    }
  }
  return failed;
}

/**
 * waitForRun with a deadline: a run still open after `ms` fails the test with what it waits on
 * (pending activities with attempt, state, heartbeat and last failure, the worker's state, the last
 * history events), so a hang in a loaded suite leaves evidence instead of a bare timeout.
 */
export async function waitForRunOrExplain<T>(
  handle: WorkflowHandle,
  ms: number,
  worker?: Pick<Worker, 'getState'>,
): Promise<T> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    return await waitForRun<T>(handle, undefined, abort.signal);
  } catch (err) {
    if (!abort.signal.aborted) throw err;
    throw new Error(
      `run ${handle.workflowId} still open after ${ms} ms:\n${await explainRun(handle, worker)}`,
      {
        cause: err,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

async function explainRun(handle: WorkflowHandle, worker?: Pick<Worker, 'getState'>): Promise<string> {
  const lines: string[] = [];
  try {
    const d = await handle.describe();
    lines.push(`status ${d.status.name}, task queue ${d.taskQueue}, worker ${worker?.getState() ?? '?'}`);
    for (const a of d.raw.pendingActivities ?? [])
      lines.push(
        `pending ${a.activityType?.name} state=${a.state} attempt=${a.attempt} ` +
          `lastStarted=${tsString(a.lastStartedTime)} lastHeartbeat=${tsString(a.lastHeartbeatTime)} ` +
          `worker=${a.lastWorkerIdentity ?? ''} lastFailure=${a.lastFailure?.message ?? ''}`,
      );
    const wt = d.raw.pendingWorkflowTask;
    if (wt) lines.push(`pending workflow task state=${wt.state} attempt=${wt.attempt}`);
    const events = (await handle.fetchHistory()).events ?? [];
    const last = events.slice(-12).map((e) => {
      const kind = Object.keys(e).find(
        (k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k],
      );
      return `${e.eventId} ${kind?.replace('EventAttributes', '') ?? '?'}`;
    });
    lines.push(`history (${events.length} events), last: ${last.join(', ')}`);
  } catch (err) {
    lines.push(`(describe failed: ${String(err)})`);
  }
  return lines.join('\n');
}

function tsString(t: { seconds?: unknown } | null | undefined): string {
  return t?.seconds ? new Date(Number(t.seconds) * 1000).toISOString() : '-';
}
