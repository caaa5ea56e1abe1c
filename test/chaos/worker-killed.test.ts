// Issues 14.7 and 14.8: a worker killed mid-activity and replaced by one with the same identity (a
// restarted container keeps its hostname and pid; or a fixed DAYBREAK_WORKER_IDENTITY). A real
// worker process running a heartbeating map shard is SIGKILLed, a new process with the same
// identity starts on the same scratch folder and takes over after the heartbeat timeout (30 s):
// the killed task's scratch (input data) is swept when the replacement starts, the run completes,
// one "worker lost" alert goes out and daybreak_workers_lost_total counts it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { Client } from '@temporalio/client';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import type { SessionRankingResult } from '../../activities/session-ranking/types.js';
import { freePort, startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { PIPELINES } from '../../pipelines/index.js';
import { buildParams } from '../../pipelines/params.js';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import { runSearchAttributes } from '../../lib/contracts/search-attributes.js';
import { connectClient } from '../../lib/temporal.js';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.js';
import { tempDir, testConfig } from '../helpers/temporal.js';
import { killWorkerMidActivity, startWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';
import { waitFor } from '../helpers/wait.js';

const QUEUE = 'worker-lost-same-id-q';
const IDENTITY = 'daybreak-worker-fixed';

let server: DevServer;
let slack: SlackReceiver;
let client: Client;
let data: string;
let childEnv: Record<string, string>;
let metricsPort: number;
let scratch: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  const root = tempDir('worker-lost-same-id');
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
    seed: 6,
    out: data,
    year: 2024,
    rowsPerFile: 3_000,
  });
  metricsPort = await freePort();
  scratch = path.join(root, 'scratch');
  childEnv = {
    TEMPORAL_ADDRESS: server.address,
    DAYBREAK_TASK_QUEUE: QUEUE,
    DAYBREAK_DATA_ROOT: path.join(root, 'data'),
    DAYBREAK_STATE_DIR: path.join(root, 'state'),
    DAYBREAK_SCRATCH_DIR: scratch,
    DAYBREAK_DUCKDB_THREADS: '1',
    DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '2',
    SLACK_WEBHOOK_URL: slack.url(),
    METRICS_PORT: String(metricsPort),
    TEMPORAL_METRICS_PORT: '0',
    DAYBREAK_LOG_LEVEL: 'WARN',
  };
  workers.push(await startWorkerProcess(IDENTITY, childEnv));
  client = await connectClient(testConfig({ TEMPORAL_ADDRESS: server.address }));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await client?.connection.close();
  await Promise.all([slack?.close(), server?.stop()]);
});

test('a worker killed mid-shard and replaced under the same identity: the run completes and one worker-lost alert is sent', async () => {
  const def = PIPELINES.get('session-ranking');
  const runDate = '2024-11-30';
  const raw = {
    activity: path.join(data, 'user_activity'),
    profile: path.join(data, 'user_profile'),
    output: path.join(data, 'out'),
    shards: '2',
  };
  const handle = await client.workflow.start(def.workflow.name, {
    taskQueue: QUEUE,
    workflowId: runWorkflowId('session-ranking', runDate),
    args: [{ runDate, params: buildParams(def, raw, { config: testConfig(), runDate }) }],
    typedSearchAttributes: runSearchAttributes('session-ranking', runDate),
  });
  const victim = await killWorkerMidActivity({
    handle,
    workers,
    activityTypes: ['mapSessionFiles'],
    heartbeated: true,
    timeoutMs: 90_000,
  });
  workers.splice(workers.indexOf(victim), 1);
  const victimsScratch = () => fs.readdirSync(scratch).filter((n) => n.includes(`.p${victim.child.pid}.`));
  expect(victimsScratch().length, 'the killed task left its scratch behind').toBeGreaterThan(0);
  // The replacement comes back as the same worker, as a restarted container does.
  workers.push(await startWorkerProcess(IDENTITY, childEnv));
  expect(victimsScratch(), 'swept when the replacement started').toEqual([]);

  const result = (await handle.result()) as SessionRankingResult;
  expect(result.inputRows).toBe(600_000);
  expect(fs.readdirSync(scratch), 'nothing at rest after the run').toEqual([]);

  const lost = await waitFor(
    'the worker-lost alert',
    () => slack.messages.find((m) => m.payload.text.includes('WORKER LOST')),
    30_000,
  );
  expect(lost.payload.text).toContain(`[Daybreak] WORKER LOST ${IDENTITY} (session-ranking ${runDate})`);
  expect(lost.payload.text).toContain(`Retried on: ${IDENTITY}`);
  expect(slack.messages.filter((m) => m.payload.text.includes('WORKER LOST'))).toHaveLength(1);
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(metrics).toMatch(/^daybreak_workers_lost_total\{pipeline="session-ranking"\} [1-9]/m);
});
