// Creates a Daybreak worker: bundled workflows, the machinery's activities and every catalogue
// pipeline's, an identity naming host and pid. The SDK's runtime drains the worker on
// SIGINT/SIGTERM: in-flight activities finish or heartbeat out, then the process exits.
import os from 'node:os';
import { NativeConnection, Runtime, Worker, type LogEntry } from '@temporalio/worker';
import type { ClientInterceptors } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { createAlertActivities } from '../activities/alerts/index.js';
import { createOutputActivities } from '../activities/common/output.js';
import { createMachineryActivities } from '../activities/index.js';
import { alertTaskQueue } from '../lib/contracts/alert-lane.js';
import type { Config } from '../lib/config.js';
import { initDeliveryCounters } from '../alerts/deliver.js';
import { registerPipelineLabels } from '../lib/metrics.js';
import { sweepScratch } from '../lib/scratch.js';
import { sweepAttemptLogs } from '../lib/logs/retention.js';
import { registerConfiguredGcs } from '../lib/storage/gcs.js';
import { connectWorkerConnection } from '../lib/temporal.js';
import type { SqlPipelineDefinition } from '../lib/sql-pipelines/definition.js';
import { PIPELINES, type Catalogue } from '../pipelines/index.js';
import { buildParams } from '../pipelines/params.js';
import { sqlPipelineDefinition } from '../pipelines/sql.js';
import { observingActivityInterceptor } from './activity-interceptor.js';
import { workflowBundleFor } from './bundle.js';
import { installRuntime } from './runtime.js';

export function workerIdentity(config: Config): string {
  return config.DAYBREAK_WORKER_IDENTITY ?? `daybreak-worker@${os.hostname()}:${process.pid}`;
}

/** Every activity a worker registers: the machinery's, then each pipeline's (names never collide). */
export async function workerActivities(
  config: Config,
  catalogue: Catalogue,
): Promise<Record<string, unknown>> {
  const activities: Record<string, unknown> = createMachineryActivities({
    config,
    buildParams: (pipeline, raw, runDate, sql) =>
      sql === undefined
        ? catalogue.buildParams(pipeline, raw, { config, runDate })
        : buildParams(sqlPipelineDefinition(sql as SqlPipelineDefinition), raw, { config, runDate }),
  });
  for (const def of catalogue.pipelines) {
    const own = (await def.activities())({ config, checks: def.checks });
    for (const [name, fn] of Object.entries(own)) {
      if (Object.hasOwn(activities, name) && activities[name] !== fn)
        throw new Error(`${def.name}: activity ${name} is also registered by another pipeline`);
      activities[name] = fn;
    }
  }
  return activities;
}

export interface CreateWorkerOptions {
  config: Config;
  /** Reuse a connection (tests, `up`); otherwise one is opened from config. */
  connection?: NativeConnection;
  taskQueue?: string;
  /** Where the SDK's log entries go instead of the console (installed with the process runtime). */
  logSink?: (entry: LogEntry) => void;
  /**
   * How long running activities get to finish on shutdown before they are cancelled (default
   * 30s: a deployed worker lets shards finish; `daybreak up` cancels at once, see README).
   */
  shutdownGraceTime?: Duration;
  /** After this, shutdown stops waiting for activities that ignore their cancellation. */
  shutdownForceTime?: Duration;
  /** The pipelines it runs; default the product catalogue (tests add their own). */
  catalogue?: Catalogue;
  /** Workflow modules (absolute paths) bundled beside workflows/index.ts: a test pipeline's workflow. */
  extraWorkflowModules?: readonly string[];
  /**
   * Interceptors on the client activities call the server with (`Context.current().client`):
   * tests slow or fail those calls, as a server restart would, without touching the task polls.
   */
  clientInterceptors?: ClientInterceptors;
}

export async function createWorker({
  config,
  connection,
  taskQueue,
  catalogue = PIPELINES,
  extraWorkflowModules = [],
  clientInterceptors,
  logSink,
  shutdownGraceTime,
  shutdownForceTime,
}: CreateWorkerOptions): Promise<Worker> {
  installRuntime(config, logSink);
  registerPipelineLabels(catalogue.names());
  initDeliveryCounters();
  // What a killed worker left in scratch (raw inputs among it) goes before this one takes tasks.
  await sweepScratch(config.DAYBREAK_SCRATCH_DIR);
  registerConfiguredGcs(config);
  // Per-attempt logs past DAYBREAK_LOG_RETENTION_DAYS: in the background, never delaying the start.
  void sweepAttemptLogs(config.DAYBREAK_DATA_ROOT, config.DAYBREAK_LOG_RETENTION_DAYS).catch((err: unknown) =>
    Runtime.instance().logger.warn('sweeping old attempt logs failed', { error: String(err) }),
  );
  const conn = connection ?? (await connectWorkerConnection(config));
  const queue = taskQueue ?? config.DAYBREAK_TASK_QUEUE;
  const worker = await Worker.create({
    connection: conn,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: queue,
    identity: workerIdentity(config),
    workflowBundle: await workflowBundleFor(config, extraWorkflowModules),
    activities: await workerActivities(config, catalogue),
    // Workflow interceptors (alerts, SLA) are bundled in (workers/bundle.ts); activity ones here.
    interceptors: {
      activity: [observingActivityInterceptor(config, workerIdentity(config))],
      client: clientInterceptors,
    },
    maxConcurrentActivityTaskExecutions: config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES,
    // Heartbeat details are what a retry resumes from: send them at least this often (the SDK's
    // default is 80% of the heartbeat timeout), so a killed worker loses little finished work.
    maxHeartbeatThrottleInterval: config.DAYBREAK_HEARTBEAT_FLUSH_MS,
    // Give running shards time to finish (or heartbeat out) on SIGTERM before exiting.
    shutdownGraceTime: shutdownGraceTime ?? '30s',
    shutdownForceTime,
  });
  const lane = await Worker.create({
    connection: conn,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: alertTaskQueue(queue),
    identity: workerIdentity(config),
    activities: { ...createAlertActivities({ config }), ...createOutputActivities({ config }) },
    interceptors: { activity: [observingActivityInterceptor(config, workerIdentity(config))] },
    maxConcurrentActivityTaskExecutions: config.DAYBREAK_ALERT_SLOTS,
    shutdownGraceTime: shutdownGraceTime ?? '30s',
    shutdownForceTime,
  });
  return withAlertLane(worker, lane);
}

/**
 * The worker, running its alert lane (activities only, on `<queue>-alerts`, with slots of its own)
 * for as long as it runs: callers keep one `run()` and one `shutdown()`.
 */
function withAlertLane(worker: Worker, lane: Worker): Worker {
  const runWorker = worker.run.bind(worker);
  worker.run = async () => {
    const laneRun = lane.run().catch((err: unknown) => {
      if (worker.getState() === 'RUNNING') worker.shutdown(); // no lane, no worker: say so by stopping
      throw err;
    });
    try {
      await runWorker();
    } finally {
      if (lane.getState() === 'RUNNING') lane.shutdown();
      await laneRun;
    }
  };
  return worker;
}
