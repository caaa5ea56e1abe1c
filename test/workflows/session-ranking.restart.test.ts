// A run survives a restart of the Temporal server: a dev server of our own (SQLite file, fixed
// port) is stopped while map activities run and started again on the same port and file; the
// worker process reconnects and the run completes with the right answer.
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { loadConfig, type Config } from '../../lib/config.js';
import { freePort, startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import { connectClient } from '../../lib/temporal.js';
import type { SessionRankingResult } from '../../activities/session-ranking/types.js';
import { activityStarts, tempDir } from '../helpers/temporal.js';
import {
  expectedRanking,
  readAllRows,
  readPublished,
  spawnWorker,
  waitForActivityPollers,
  type WorkerProcess,
} from '../helpers/session-ranking.js';

let dir: string;
let server: DevServer | undefined;
let worker: WorkerProcess | undefined;
let config: Config;
const dbFile = () => path.join(dir, 'state', 'temporal.db');

async function startServer(port: number): Promise<DevServer> {
  return startDevServer({ binary: inject('temporalCli'), dbFile: dbFile(), port, headless: true });
}

beforeAll(async () => {
  dir = tempDir('sr-restart');
  // 24 files of 40k rows and 8 shards on one worker running one activity at a time: a run of
  // several seconds made of many activities, so the restart lands in the middle of it.
  await generateSessionRanking({
    rows: 960_000,
    users: 50_000,
    seed: 5,
    out: dir,
    year: 2023,
    rowsPerFile: 40_000,
  });
  server = await startServer(await freePort());
  config = loadConfig({
    TEMPORAL_ADDRESS: server.address,
    DAYBREAK_TASK_QUEUE: 'restart-test',
    DAYBREAK_DATA_ROOT: path.join(dir, 'data'),
    DAYBREAK_SCRATCH_DIR: path.join(dir, 'scratch'),
  });
  worker = spawnWorker(config, { DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1' });
});
afterAll(async () => {
  await worker?.stop();
  await server?.stop();
});

test('a run completes across a server restart', async () => {
  let client = await connectClient(config);
  await waitForActivityPollers(client, config.DAYBREAK_TASK_QUEUE, 1);
  const output = path.join(dir, 'out');
  const handle = await startRun({
    client,
    config,
    pipeline: 'session-ranking',
    runDate: '2093-01-01',
    rawParams: {
      activity: path.join(dir, 'user_activity'),
      profile: path.join(dir, 'user_profile'),
      output,
      shards: '8',
    },
  });
  // Wait until map activities are running, then take the server away for a few seconds.
  for (;;) {
    const desc = await handle.describe();
    const pending = desc.raw.pendingActivities ?? [];
    if (pending.some((a) => a.activityType?.name === 'mapSessionFiles')) break;
    expect(desc.status.name).toBe('RUNNING');
    await new Promise((r) => setTimeout(r, 50));
  }
  const port = server!.port;
  await client.connection.close();
  await server!.stop();
  await new Promise((r) => setTimeout(r, 3000));
  expect(worker!.child.exitCode).toBeNull();
  server = await startServer(port);

  client = await connectClient(config);
  const desc = await client.workflow.getHandle(handle.workflowId).describe();
  expect(desc.runId).toBe(handle.firstExecutionRunId);
  const result = await waitForRun<SessionRankingResult>(client.workflow.getHandle(handle.workflowId));
  const expected = expectedRanking(
    await readAllRows(path.join(dir, 'user_activity')),
    await readAllRows(path.join(dir, 'user_profile')),
  );
  expect(result.ranking).toEqual(expected.ranking);
  expect([result.inputRows, result.rejectedRows]).toEqual([expected.inputRows, expected.rejectedRows]);
  expect((await readPublished(output)).json).toEqual(expected.ranking);
  // The same run (no reset), every shard reduced once.
  const starts = await activityStarts(client, handle.workflowId);
  expect(starts.filter((st) => st.type === 'reduceSessionBucket')).toHaveLength(8);
  await client.connection.close();
});
