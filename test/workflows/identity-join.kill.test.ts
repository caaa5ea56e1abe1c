// identity-join under a killed worker, and the no-raw-PII rule. Workers run as real child
// processes (`daybreak worker`, DEBUG logs captured). A run whose worker is SIGKILLed while a
// shard is running, then re-run on a fresh worker, leaves exactly the rows and the file set of an
// undisturbed run. Then every output file, every worker log line and every workflow history
// payload is scanned for the generated PII values and IPs.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import type { IdentityJoinResult } from '../../activities/identity-join/types.js';
import { freePort } from '../../devstack/dev-server.js';
import { waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import { connectClient } from '../../lib/temporal.js';
import { MANIFEST_NAME, readManifest } from '../../lib/storage/manifest.js';
import { logicalName, runTag } from '../../lib/storage/publish.js';
import { canonical, findPii, piiNeedles, readRows } from '../helpers/identity-join.js';
import { testConfig, tempDir } from '../helpers/temporal.js';

const DAY = '2025-04-01';
const config = testConfig();
let client: Client;
let dataDir: string;
const logs: string[] = [];
const workers: ChildProcess[] = [];

async function startChildWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.resolve('bin/daybreak.js'), 'worker'], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
      DAYBREAK_TASK_QUEUE: config.DAYBREAK_TASK_QUEUE,
      DAYBREAK_SCRATCH_DIR: config.DAYBREAK_SCRATCH_DIR,
      DAYBREAK_STATE_DIR: config.DAYBREAK_STATE_DIR,
      DAYBREAK_LOG_LEVEL: 'DEBUG',
      DAYBREAK_DUCKDB_THREADS: '1',
      DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '1',
      METRICS_PORT: String(await freePort()),
      TEMPORAL_METRICS_PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const index = logs.push('') - 1;
  child.stdout!.on('data', (d: Buffer) => (logs[index] += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (logs[index] += d.toString()));
  workers.push(child);
  // Ready when it says it is polling.
  const deadline = Date.now() + 60_000;
  while (!logs[index]!.includes('polling')) {
    if (child.exitCode !== null) throw new Error(`worker exited early: ${logs[index]}`);
    if (Date.now() > deadline) throw new Error(`worker did not start: ${logs[index]}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

beforeAll(async () => {
  client = await connectClient(config);
  dataDir = tempDir('ij-kill');
  await generateIdentityJoin({
    // Enough rows that a join task outlasts the probe's look (a run of 24,000 rows once finished
    // between two looks, after the plan step became a local activity).
    rows: 300_000,
    visitors: 60_000,
    seed: 23,
    out: dataDir,
    days: 1,
    startDate: DAY,
    ds1FilesPerDay: 3,
    ds2Files: 2,
  });
});
afterAll(async () => {
  for (const w of workers) await stopChild(w, 'SIGKILL');
  await client?.connection.close();
});

function params(output: string): Record<string, string> {
  return {
    ds1: path.join(dataDir, 'visitor_events'),
    ds2: path.join(dataDir, 'liveramp'),
    output,
    shards: '4',
  };
}

async function outputRows(output: string) {
  const manifest = await readManifest(output);
  expect(manifest).toBeDefined();
  const listing = (await fs.readdir(output)).sort();
  expect(listing).toEqual([MANIFEST_NAME, ...manifest!.files.map((f) => f.name)].sort());
  return {
    manifest: manifest!,
    rows: canonical(await readRows(manifest!.files.map((f) => path.join(output, f.name)))),
  };
}

/**
 * Waits until a join task is running and at least one task's files are already written (shards=4
 * shuffles: the join tasks are the per-bucket joins).
 */
async function waitForRunningShard(handle: WorkflowHandle, output: string) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') throw new Error(`run finished before the kill: ${d.status.name}`);
    const running = (d.raw.pendingActivities ?? []).find(
      (a) =>
        ['joinIdentityShard', 'joinIdentityBucket'].includes(a.activityType?.name ?? '') &&
        Number(a.state) === 2, // STARTED
    );
    const written = await fs.readdir(output).catch(() => [] as string[]);
    if (running && written.some((f) => f.startsWith('part-'))) return running;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no running shard seen');
}

test('a worker SIGKILLed during a shard, then a re-run, leaves exactly the undisturbed output; no raw PII anywhere', async () => {
  const first = await startChildWorker();
  const undisturbedOut = path.join(dataDir, 'undisturbed');
  const h1 = await startRun({
    client,
    config,
    pipeline: 'identity-join',
    runDate: DAY,
    rawParams: params(undisturbedOut),
  });
  const undisturbed = await waitForRun<IdentityJoinResult>(h1);
  expect(undisturbed.tasks).toBe(4);

  const killedOut = path.join(dataDir, 'killed');
  const h2 = await startRun({
    client,
    config,
    pipeline: 'identity-join',
    runDate: DAY,
    rawParams: params(killedOut),
  });
  const running = await waitForRunningShard(h2, killedOut);
  await stopChild(first, 'SIGKILL');
  expect(first.signalCode).toBe('SIGKILL');
  // A half-written output: some shards' files, no manifest.
  const leftovers = await fs.readdir(killedOut);
  expect(leftovers).not.toContain(MANIFEST_NAME);
  expect(leftovers.some((f) => f.startsWith('part-'))).toBe(true);
  expect(running.heartbeatDetails).toBeDefined(); // the shard was heartbeating its progress
  // A file of the killed run that the re-run does not produce must not survive it.
  await fs.writeFile(
    path.join(killedOut, `part-00077-00000-${runTag(h2.firstExecutionRunId)}.parquet`),
    'stray',
  );

  await h2.terminate('worker killed; re-running the date');
  await startChildWorker();
  const h3 = await startRun({
    client,
    config,
    pipeline: 'identity-join',
    runDate: DAY,
    rawParams: params(killedOut),
  });
  const rerun = await waitForRun<IdentityJoinResult>(h3);

  const a = await outputRows(undisturbedOut);
  const b = await outputRows(killedOut);
  expect(b.rows).toEqual(a.rows);
  expect(b.rows.length).toBe(undisturbed.rowsOut);
  expect(b.manifest.totals.rows).toBe(a.manifest.totals.rows);
  const names = (m: typeof a.manifest) => m.files.map((f) => logicalName(f.name, m));
  expect(names(b.manifest)).toEqual(names(a.manifest));
  for (const key of ['rowsIn', 'rowsOut', 'matchedRows', 'ds2Rows', 'shards', 'tasks'] as const) {
    expect(rerun[key]).toBe(undisturbed[key]);
  }

  // No raw PII: the positive control proves the scan sees PII when it is there.
  const ds2 = await readRows([
    path.join(dataDir, 'liveramp', 'part-00000.parquet'),
    path.join(dataDir, 'liveramp', 'part-00001.parquet'),
  ]);
  const needles = piiNeedles(ds2);
  expect(needles.size).toBeGreaterThan(5_000);
  expect(findPii(JSON.stringify(ds2.slice(0, 50)), needles).length).toBeGreaterThan(20);

  const haystacks: [string, string][] = [];
  for (const out of [undisturbedOut, killedOut]) {
    for (const name of await fs.readdir(out)) {
      const file = path.join(out, name);
      haystacks.push([`${file} (bytes)`, (await fs.readFile(file)).toString('latin1')]);
      if (name.endsWith('.parquet'))
        haystacks.push([`${file} (rows)`, JSON.stringify(await readRows([file]))]);
    }
  }
  for (const [i, log] of logs.entries()) haystacks.push([`worker ${i} log`, log]);
  for (const h of [h1, h2, h3]) {
    const history = await h.fetchHistory();
    const text = JSON.stringify(history, (_k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
    );
    haystacks.push([`history of ${h.workflowId}`, text]);
  }
  expect(logs.join('').length).toBeGreaterThan(1000); // DEBUG logs were captured
  for (const [where, text] of haystacks) expect(findPii(text, needles), where).toEqual([]);
}, 300_000);
