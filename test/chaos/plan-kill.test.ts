// A worker killed while the daily DAG plans (soak seed 8: the plan of a worker killed during a
// Temporal restart held the run for its 5-minute start-to-close). The plan waits on other
// services (a describe per branch, the manifest of each completed branch's output), so it
// heartbeats under a 30 s heartbeat timeout: here it is caught waiting on a frozen GCS emulator
// (SIGSTOP) for a gs:// output's manifest, its worker SIGKILLed, and a second worker plans again
// after the heartbeat timeout; the re-run finds the branch up to date. Real worker processes, the
// suite's dev server, the real emulator.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { startFakeGcsServer, type FakeGcsServer } from '../../devstack/fake-gcs.js';
import { PIPELINES } from '../../pipelines/index.js';
import { buildParams } from '../../pipelines/params.js';
import type { DailyInput, DailyResult } from '../../lib/contracts/daily.js';
import { connectClient } from '../../lib/temporal.js';
import { createBucket } from '../helpers/gcs.js';
import { tempDir, testConfig } from '../helpers/temporal.js';
import {
  killWorkerMidActivity,
  startWorkerProcess,
  workerProcessEnv,
  type WorkerProcess,
} from '../helpers/worker-process.js';

const QUEUE = `plan-kill-${process.pid}`;
const RUN_DATE = '2019-04-04';
let root: string;
let client: Client;
let emulator: FakeGcsServer;
let workerEnv: Record<string, string>;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  root = tempDir('plan-kill');
  await generateSessionRanking({ rows: 2_000, users: 200, seed: 8, out: path.join(root, 'raw'), year: 2019 });
  emulator = await startFakeGcsServer({ binary: inject('tools')['fake-gcs-server'] });
  await createBucket(emulator.url, 'lake');
  workerEnv = workerProcessEnv(QUEUE, root, { STORAGE_EMULATOR_HOST: emulator.url });
  workers.push(await startWorkerProcess('plan-kill-a', workerEnv));
  client = await connectClient(testConfig());
}, 150_000);

afterAll(async () => {
  emulator?.process.kill('SIGCONT');
  await Promise.all(workers.map((w) => w.kill()));
  await client?.connection.close();
  await emulator?.stop();
});

function daily(rerun: DailyInput['rerun']) {
  const def = PIPELINES.get('session-ranking');
  const input: DailyInput = {
    runDate: RUN_DATE,
    rerun,
    branches: [
      {
        pipeline: `ranking-${process.pid}`,
        workflowType: def.workflow.name,
        params: buildParams(
          def,
          {
            activity: path.join(root, 'raw', 'user_activity'),
            profile: path.join(root, 'raw', 'user_profile'),
            output: 'gs://lake/ranking', // its manifest is what the re-run's plan reads
          },
          { config: testConfig(), runDate: RUN_DATE },
        ),
        dependsOn: [],
        inputs: [],
        memo: { alertRoute: 'test' },
      },
    ],
  };
  return client.workflow.start('daily', {
    taskQueue: QUEUE,
    workflowId: `daily/${RUN_DATE}-${randomUUID()}`,
    args: [input],
  });
}

test('a worker SIGKILLed while the daily plan waits: planned again after the 30 s heartbeat timeout, not the 5-minute start-to-close', async () => {
  const first = (await (await daily('all')).result()) as DailyResult;
  expect(first.outcomes.map((o) => o.status)).toEqual(['completed']);

  emulator.process.kill('SIGSTOP'); // the plan's read of gs://lake/ranking/_SUCCESS now hangs
  const handle = await daily('failed');
  const victim = await killWorkerMidActivity({ handle, workers, activityTypes: ['planDaily'] });
  const killedAt = Date.now();
  emulator.process.kill('SIGCONT');
  workers.push(await startWorkerProcess('plan-kill-b', workerEnv));

  const rerun = (await handle.result()) as DailyResult;
  expect(rerun.outcomes.map((o) => o.status)).toEqual(['up-to-date']);
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'planDaily',
  )!;
  const started = events.filter((e) => e.activityTaskStartedEventAttributes);
  const retry = started.find((e) => (e.activityTaskStartedEventAttributes!.attempt ?? 1) > 1);
  expect(victim.identity).toBe('plan-kill-a');
  expect(retry, 'the plan ran again').toBeDefined();
  // The retry's cause: the killed attempt's heartbeat timeout (4: TIMEOUT_TYPE_HEARTBEAT).
  expect(retry!.activityTaskStartedEventAttributes!.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(4);
  expect(retry!.activityTaskStartedEventAttributes!.identity).toBe('plan-kill-b');
  expect(Number(scheduled.activityTaskScheduledEventAttributes!.heartbeatTimeout?.seconds)).toBe(30);
  const retriedAt = Number(retry!.eventTime!.seconds) * 1000;
  expect(retriedAt - killedAt, 'planned again within the heartbeat timeout').toBeLessThan(60_000);
}, 150_000);
