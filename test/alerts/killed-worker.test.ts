// Killed worker, with real worker processes: two `daybreak worker`s share a queue; the one running
// a heartbeating map shard is SIGKILLed; after its heartbeat timeout (30 s) the shard is retried on
// the other, the run completes, and a "worker lost" alert names the dead worker. The alert lane's
// activities heartbeat too: the worker sending a failure alert is killed mid-delivery, and the
// page arrives from the retry after the 30 s heartbeat timeout, not the 2-minute start-to-close.
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { Client } from '@temporalio/client';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import type { SessionRankingResult } from '../../activities/session-ranking/types.js';
import { startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { PIPELINES } from '../../pipelines/index.js';
import { buildParams } from '../../pipelines/params.js';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import { runSearchAttributes } from '../../lib/contracts/search-attributes.js';
import { connectClient } from '../../lib/temporal.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.js';
import { tempDir, testConfig } from '../helpers/temporal.js';
import { killWorkerMidActivity, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { waitFor } from '../helpers/wait.js';

const QUEUE = 'killed-worker-q';

let server: DevServer;
let slack: SlackReceiver;
let client: Client;
let data: string;
let childEnv: Record<string, string>;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  const root = tempDir('killed-worker');
  [server, slack] = await Promise.all([
    startDevServer({
      binary: inject('temporalCli'),
      headless: true,
      logFile: path.join(root, 'temporal.log'),
    }),
    startSlackReceiver(),
  ]);
  data = path.join(root, 'input');
  await generateSessionRanking({
    rows: 600_000,
    users: 20_000,
    seed: 5,
    out: data,
    year: 2024,
    // Many small files: the map shard runs long enough (many batches, each heartbeating) to be caught.
    rowsPerFile: 3_000,
  });
  childEnv = {
    TEMPORAL_ADDRESS: server.address,
    DAYBREAK_TASK_QUEUE: QUEUE,
    DAYBREAK_DATA_ROOT: path.join(root, 'data'),
    DAYBREAK_STATE_DIR: path.join(root, 'state'),
    DAYBREAK_SCRATCH_DIR: path.join(root, 'scratch'),
    DAYBREAK_DUCKDB_THREADS: '1',
    DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '2',
    SLACK_WEBHOOK_URL: slack.url(),
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    DAYBREAK_LOG_LEVEL: 'WARN',
  };
  workers.push(
    ...(await Promise.all([
      startWorkerProcess('daybreak-worker-a', childEnv),
      startWorkerProcess('daybreak-worker-b', childEnv),
    ])),
  );
  client = await connectClient(testConfig({ TEMPORAL_ADDRESS: server.address }));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await client?.connection.close();
  await Promise.all([slack?.close(), server?.stop()]);
});

const slackWith = (needle: string) => slack.messages.filter((m) => m.payload.text.includes(needle));

test('SIGKILL of the worker running a heartbeating shard: the run completes elsewhere and a worker-lost alert names it', async () => {
  const def = PIPELINES.get('session-ranking');
  const runDate = '2024-12-31';
  const raw = {
    activity: path.join(data, 'user_activity'),
    profile: path.join(data, 'user_profile'),
    output: path.join(data, 'out'),
    shards: '2',
  };
  // As a schedule would start it: with an SLA (15 s) that passes while the shard waits for its
  // heartbeat timeout, so the SLA timer fires mid-run.
  const handle = await client.workflow.start(def.workflow.name, {
    taskQueue: QUEUE,
    workflowId: runWorkflowId('session-ranking', runDate),
    args: [{ runDate, params: buildParams(def, raw, { config: testConfig(), runDate }) }],
    typedSearchAttributes: runSearchAttributes('session-ranking', runDate),
    memo: { slaSeconds: 15 },
  });
  const startedAt = Date.now();
  // A map shard that has heartbeated (its details name its worker) and is still running.
  const victim = await killWorkerMidActivity({
    handle,
    workers,
    activityTypes: ['mapSessionFiles'],
    heartbeated: true,
    timeoutMs: 90_000,
  });
  const victimIdentity = victim.identity;
  const survivor = workers.find((w) => w.identity !== victimIdentity)!;
  workers.splice(workers.indexOf(victim), 1);

  const result = (await handle.result()) as SessionRankingResult;
  const finishedAt = Date.now();
  expect(result.inputRows).toBe(600_000);
  expect(Object.keys(result.ranking)).toHaveLength(12);

  const lost = await waitFor('the worker-lost alert', () => slackWith('WORKER LOST')[0], 30_000);
  expect(lost.payload.text).toContain(
    `[Daybreak] WORKER LOST ${victimIdentity} (session-ranking 2024-12-31)`,
  );
  expect(lost.payload.text).toContain(`Lost worker: ${victimIdentity}`);
  expect(lost.payload.text).toContain(`Retried on: ${survivor.identity}`);
  expect(lost.payload.text).toContain('Activity: mapSessionFiles');
  expect(lost.payload.text).toContain('Runbook: Out of memory / worker killed');
  expect(slackWith('WORKER LOST')).toHaveLength(1);
  // The history agrees: the shard's last attempt ran on the survivor.
  const history = await handle.fetchHistory();
  const mapStarts = (history.events ?? [])
    .map((e) => e.activityTaskStartedEventAttributes)
    .filter((a) => a && (a.attempt ?? 1) > 1);
  expect(mapStarts.map((a) => a!.identity)).toContain(survivor.identity);

  // The SLA timer fired while the run was still going (15 s in; it ran for 30 s or more).
  const sla = slackWith('SLA MISSED session-ranking 2024-12-31');
  expect(sla).toHaveLength(1);
  expect(sla[0]!.at - startedAt).toBeGreaterThanOrEqual(14_000);
  expect(sla[0]!.at).toBeLessThan(finishedAt);
  expect(finishedAt - startedAt).toBeGreaterThan(30_000);
});

test('SIGKILL of the worker sending a failure alert: the page is retried after the 30 s heartbeat timeout, not the 2-minute one', async () => {
  const def = PIPELINES.get('session-ranking');
  const runDate = '2024-11-30';
  workers.push(await startWorkerProcess('daybreak-worker-c', childEnv));
  // Slack fails the first five posts: the sender is busy retrying them when it is killed.
  const path500 = new URL(slack.url()).pathname;
  slack.script(path500, ...Array.from({ length: 5 }, () => ({ status: 500, body: 'server_error' })));
  const raw = {
    activity: path.join(data, 'no-such-activity'),
    profile: path.join(data, 'user_profile'),
    output: path.join(data, 'out-failing'),
  };
  const handle = await client.workflow.start(def.workflow.name, {
    taskQueue: QUEUE,
    workflowId: runWorkflowId('session-ranking', runDate),
    args: [{ runDate, params: buildParams(def, raw, { config: testConfig(), runDate }) }],
    typedSearchAttributes: runSearchAttributes('session-ranking', runDate),
  });
  await killWorkerMidActivity({
    handle,
    workers,
    activityTypes: ['alertRunFailure'],
    heartbeated: true,
    timeoutMs: 60_000,
  });
  const killedAt = Date.now();
  const subject = `FAILED session-ranking ${runDate}`;
  const delivered = await waitFor(
    'the failure alert from the retried sender',
    () => slack.messages.find((m) => m.answered === 200 && m.payload.text.includes(subject)),
    100_000,
  );
  // Retried once its heartbeats stopped (30 s), well before the 2-minute start-to-close timeout.
  expect(delivered.at - killedAt).toBeGreaterThan(25_000);
  expect(delivered.at - killedAt).toBeLessThan(90_000);
  expect(slack.messages.filter((m) => m.answered === 200 && m.payload.text.includes(subject))).toHaveLength(
    1,
  );
  // The retry also reports the lost sender (its alert state on the pipeline queue, not the lane).
  const lost = await waitFor(
    'the worker-lost alert for the sender',
    () =>
      slack.messages.find(
        (m) =>
          m.answered === 200 && m.payload.text.includes('WORKER LOST') && m.payload.text.includes(runDate),
      ),
    30_000,
  );
  expect(lost.payload.text).toContain('Activity: alertRunFailure');
}, 180_000);
