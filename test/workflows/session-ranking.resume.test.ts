// Resume on retry: the worker process running the map activity is SIGKILLed after the server has
// recorded heartbeat details with some files done; the retried attempt (on the other worker
// process, after the heartbeat timeout) skips those files, and the answer is still exact.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { sqlString, withDuckDB } from '../../lib/duckdb.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import type { SessionRankingResult } from '../../activities/session-ranking/types.js';
import {
  activityStarts,
  startTestWorker,
  tempDir,
  testConfig,
  type TestWorker,
} from '../helpers/temporal.js';
import {
  expectedRanking,
  readAllRows,
  spawnWorker,
  waitForActivityPollers,
  type WorkerProcess,
} from '../helpers/session-ranking.js';

const FILES = 1000;
let client: TestWorker;
let dir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  // An in-process worker on a queue of its own: only its client is used here.
  client = await startTestWorker(testConfig());
  dir = tempDir('sr-resume');
  // Many small files in one map group: the map walks them a batch of 8 at a time, heartbeating
  // after each batch.
  // Generated as one file, then split into FILES files by one partitioned COPY (fast).
  const whole = path.join(dir, 'whole');
  await generateSessionRanking({ rows: FILES * 400, users: 5_000, seed: 9, out: whole, year: 2021 });
  await withDuckDB({ scratchDir: path.join(dir, 'tmp') }, (conn) =>
    conn.run(`COPY (SELECT *, (row_number() OVER ()) % ${FILES} AS chunk
                    FROM read_parquet(${sqlString(path.join(whole, 'user_activity', '*.parquet'))}))
              TO ${sqlString(path.join(dir, 'user_activity'))} (FORMAT parquet, PARTITION_BY (chunk))`),
  );
  await fs.cp(path.join(whole, 'user_profile'), path.join(dir, 'user_profile'), { recursive: true });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await client?.stop();
});

function decodeDetails(payloads: { data?: Uint8Array | null }[] | undefined): { filesDone?: number } {
  const data = payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { filesDone?: number }) : {};
}

test('a retried map attempt resumes after the files its killed predecessor finished', async () => {
  const config = testConfig();
  // Heartbeat details reach the server every 100 ms, so the kill lands mid-map however fast it runs.
  const extra = { DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1', DAYBREAK_HEARTBEAT_FLUSH_MS: '100' };
  workers.push(spawnWorker(config, extra), spawnWorker(config, extra));
  await waitForActivityPollers(client.client, config.DAYBREAK_TASK_QUEUE, 2);

  const output = path.join(dir, 'out');
  const handle = await startRun({
    client: client.client,
    config,
    pipeline: 'session-ranking',
    runDate: '2095-01-01',
    rawParams: {
      activity: path.join(dir, 'user_activity'),
      profile: path.join(dir, 'user_profile'),
      output,
      shards: '1',
    },
  });

  // Wait until the server holds heartbeat details of the map with a few files done.
  let filesDoneAtKill = 0;
  let victim: WorkerProcess | undefined;
  while (!victim) {
    const desc = await handle.describe();
    expect(desc.status.name).toBe('RUNNING');
    const map = (desc.raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'mapSessionFiles');
    const done = decodeDetails(map?.heartbeatDetails?.payloads ?? undefined).filesDone ?? 0;
    if (map && done >= 100) {
      filesDoneAtKill = done;
      victim = workers.find((w) => map.lastWorkerIdentity?.endsWith(`:${w.child.pid}`));
      expect(victim).toBeDefined();
    } else await new Promise((r) => setTimeout(r, 100));
  }
  expect(filesDoneAtKill).toBeLessThan(FILES);
  victim.child.kill('SIGKILL');

  const result = await waitForRun<SessionRankingResult>(handle);
  const expected = expectedRanking(
    await readAllRows(path.join(dir, 'user_activity')),
    await readAllRows(path.join(dir, 'user_profile')),
  );
  expect(result.ranking).toEqual(expected.ranking);
  expect([result.inputRows, result.rejectedRows]).toEqual([expected.inputRows, expected.rejectedRows]);

  // The map ran twice, the second time on the surviving worker, which skipped finished files.
  const maps = (await activityStarts(client.client, handle.workflowId)).filter(
    (s) => s.type === 'mapSessionFiles',
  );
  expect(maps.map((m) => m.attempt)).toEqual([2]); // only the completed attempt is in the history
  expect(maps[0]!.identity.endsWith(`:${victim.child.pid}`)).toBe(false);
  const manifest = await readManifest(output);
  const resumed = Number(manifest?.report?.filesResumed);
  expect(resumed).toBeGreaterThanOrEqual(filesDoneAtKill);
  expect(resumed).toBeLessThan(FILES);
});
