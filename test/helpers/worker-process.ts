// Runs `node bin/daybreak.js worker` as a child process (its own identity and environment) and
// waits until it polls; kills one while a given activity of a run is in flight on it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { inject } from 'vitest';

export interface WorkerProcess {
  identity: string;
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no drain, no goodbye, like the OOM killer. */
  kill(): Promise<void>;
  /** SIGTERM: the SDK drains and the process exits. */
  stop(): Promise<void>;
}

/**
 * The environment of a test's worker processes: the suite's dev server, one task queue, state,
 * data and scratch under `root`, one DuckDB thread, no metrics ports, quiet logs; `extra` on top.
 */
export function workerProcessEnv(
  queue: string,
  root: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DAYBREAK_TASK_QUEUE: queue,
    DAYBREAK_DATA_ROOT: path.join(root, 'data'),
    DAYBREAK_STATE_DIR: path.join(root, 'state'),
    DAYBREAK_SCRATCH_DIR: path.join(root, 'scratch'),
    DAYBREAK_DUCKDB_THREADS: '1',
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    DAYBREAK_LOG_LEVEL: 'WARN',
    ...extra,
  };
}

export async function startWorkerProcess(
  identity: string,
  env: Record<string, string>,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [path.resolve('bin/daybreak.js'), 'worker'], {
    env: { ...process.env, ...env, DAYBREAK_WORKER_IDENTITY: identity },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // no stray worker left polling later
      reject(new Error(`worker ${identity} did not start:\n${output}`));
    }, 180_000);
    const check = () => {
      if (output.includes(' polling ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${identity} exited with ${code}:\n${output}`));
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    identity,
    child,
    output: () => output,
    async kill() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
const PENDING_ACTIVITY_STATE_STARTED = 2;

export interface KillMidActivityOptions {
  /** The run whose activity is to be caught in flight. */
  handle: WorkflowHandle;
  /** Candidates: the worker the server shows running the activity is the one killed. */
  workers: readonly WorkerProcess[];
  /** Activity types that count (e.g. `['mapSessionFiles']`). */
  activityTypes: readonly string[];
  /** Only once the activity, and every other of the run on its worker, has heartbeated (their details name the worker). */
  heartbeated?: boolean;
  /** Only once this also holds (e.g. the run has put a file). */
  ready?: () => Promise<boolean>;
  timeoutMs?: number;
}

/**
 * Kills (SIGKILL) the worker while one of `activityTypes` of the run is in flight on it, as the
 * server shows it: the worker is frozen (SIGSTOP) first and the activity confirmed still started
 * on it a moment later, so the kill lands mid-activity, not just after it completed (a completion
 * sent before the freeze has reached the server by then). Returns the killed worker.
 */
export async function killWorkerMidActivity(opts: KillMidActivityOptions): Promise<WorkerProcess> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const inFlightOn = async (): Promise<{ worker: WorkerProcess; key: string } | undefined> => {
    const started = ((await opts.handle.describe()).raw.pendingActivities ?? []).filter(
      (a) => Number(a.state) === PENDING_ACTIVITY_STATE_STARTED,
    );
    for (const a of started) {
      if (!opts.activityTypes.includes(a.activityType?.name ?? '')) continue;
      const worker = opts.workers.find((w) => w.identity === a.lastWorkerIdentity);
      if (!worker) continue;
      // `heartbeated`: every task of the run on that worker has, so each lost attempt names it.
      const onWorker = started.filter((o) => o.lastWorkerIdentity === worker.identity);
      if (opts.heartbeated && !onWorker.every((o) => o.lastHeartbeatTime)) continue;
      return { worker, key: onWorker.map((o) => `${o.activityId}/${o.attempt}`).join(',') };
    }
    return undefined;
  };
  for (;;) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${opts.activityTypes.join(' or ')} in flight on a worker`);
    const seen = (opts.ready === undefined || (await opts.ready())) && (await inFlightOn());
    if (seen) {
      seen.worker.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 300));
      const still = await inFlightOn();
      if (still?.worker === seen.worker && still.key === seen.key) {
        await seen.worker.kill(); // SIGKILL ends a stopped process too
        return seen.worker;
      }
      seen.worker.child.kill('SIGCONT');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
