// The watchdog: a Temporal Schedule (`daybreak watchdog install`) runs the watchdog workflow on
// its own queue; it alerts when the watched queue's last worker (a `daybreak worker` process) is
// stopped and its pollers go stale, sends that alert once, and resolves when a worker is back.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { Worker } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { createWorker } from '../../workers/worker.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.js';
import { tempDir, testConfig } from '../helpers/temporal.js';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const QUEUE = 'watched-q';
const WATCH_QUEUE = 'watchdog-q';

let server: DevServer;
let slack: SlackReceiver;
let env: Record<string, string>;
let worker: WorkerProcess | undefined;
let watchdogWorker: Worker | undefined;
let watchdogRunning: Promise<void> | undefined;
let backWorker: Worker | undefined;
let backRunning: Promise<void> | undefined;

beforeAll(async () => {
  const root = tempDir('watchdog');
  [server, slack] = await Promise.all([
    startDevServer({
      binary: inject('temporalCli'),
      headless: true,
      logFile: path.join(root, 'temporal.log'),
      // Live pollers re-poll every 3 s (default: a minute), so a short threshold is meaningful.
      extraArgs: ['--dynamic-config-value', 'matching.longPollExpirationInterval="3s"'],
    }),
    startSlackReceiver(),
  ]);
  env = {
    TEMPORAL_ADDRESS: server.address,
    DAYBREAK_TASK_QUEUE: QUEUE,
    DAYBREAK_DATA_ROOT: path.join(root, 'data'),
    DAYBREAK_STATE_DIR: path.join(root, 'state'),
    DAYBREAK_SCRATCH_DIR: path.join(root, 'scratch'),
    SLACK_WEBHOOK_URL: slack.url(),
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    DAYBREAK_LOG_LEVEL: 'WARN',
  };
  worker = await startWorkerProcess('daybreak-worker-a', env);
});

afterAll(async () => {
  await exec(process.execPath, ['bin/daybreak.js', 'watchdog', 'remove'], {
    env: { ...process.env, ...env },
  }).catch(() => undefined);
  for (const w of [watchdogWorker, backWorker]) if (w?.getState() === 'RUNNING') w.shutdown();
  await Promise.all([watchdogRunning, backRunning]);
  await worker?.kill();
  await Promise.all([slack?.close(), server?.stop()]);
});

const slackWith = (needle: string) => slack.messages.filter((m) => m.payload.text.includes(needle));

test('alerts when the last worker of a queue stops, once, and resolves when one is back', async () => {
  // The watchdog's own worker serves another queue and outlives the watched workers.
  const config = testConfig({ ...env, DAYBREAK_TASK_QUEUE: WATCH_QUEUE });
  watchdogWorker = await createWorker({ config, taskQueue: WATCH_QUEUE });
  watchdogRunning = watchdogWorker.run();
  const { stdout } = await exec(
    process.execPath,
    [
      'bin/daybreak.js',
      'watchdog',
      'install',
      '--every',
      '2s',
      '--watch',
      QUEUE,
      '--stale-seconds',
      '8',
      '--task-queue',
      WATCH_QUEUE,
    ],
    { env: { ...process.env, ...env } },
  );
  expect(stdout).toContain(`created schedule daybreak-watchdog: every 2s, watching ${QUEUE}`);
  // While a worker polls, the watchdog stays quiet.
  await new Promise((r) => setTimeout(r, 4_000));
  expect(slackWith('NO WORKERS')).toHaveLength(0);

  const stoppedAt = Date.now();
  await worker!.stop();
  const alert = await waitFor(
    'the no-workers alert',
    () => slackWith(`NO WORKERS on task queue ${QUEUE}`)[0],
    60_000,
  );
  // Not before the threshold: the dead worker's poller entry lingers but its lastAccessTime ages.
  expect(alert.at - stoppedAt).toBeGreaterThanOrEqual(5_000);
  expect(alert.payload.text).toMatch(
    new RegExp(`no live worker polled task queue ${QUEUE} for \\d+s \\(watchdog threshold 8s\\)`),
  );
  expect(alert.payload.text).toContain('Last pollers: daybreak-worker-a');
  expect(alert.payload.text).toContain('Runbook: No live worker on a task queue');
  // Later checks find the same dead queue: deduplicated, no second alert.
  await new Promise((r) => setTimeout(r, 4_000));
  expect(slackWith('NO WORKERS')).toHaveLength(1);

  // A worker comes back (in this process: cheaper than another process start).
  backWorker = await createWorker({
    config: testConfig({ ...env, DAYBREAK_WORKER_IDENTITY: 'daybreak-worker-b' }),
    taskQueue: QUEUE,
  });
  backRunning = backWorker.run();
  const back = await waitFor(
    'the resolved message',
    () => slackWith(`RESOLVED workers back on task queue ${QUEUE}`)[0],
    60_000,
  );
  expect(back.payload.text).toContain('daybreak-worker-b');
  expect(back.payload.text).toContain('Resolves: NoWorkers');
});
