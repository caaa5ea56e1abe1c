// The attempt log writer and readers (lib/logs/) on the local disk and on the GCS emulator: what
// an attempt logs is kept redacted (e-mail and IP gone, in the message and in its attributes),
// read back by run, step and attempt; a chatty attempt keeps its first and last lines and says
// how many it left out; a write that fails is counted and never thrown; the retention sweep
// removes runs older than the retention by when they ran, not by their logical date.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FakeGcsServer } from '../../../devstack/fake-gcs.js';
import { AttemptLog } from '../../../lib/logs/attempt-log.js';
import { attemptLogUri, type AttemptLogRef } from '../../../lib/logs/layout.js';
import { readDateLogs } from '../../../lib/logs/read.js';
import type { AttemptHeader } from '../../../lib/logs/records.js';
import { sweepAttemptLogs } from '../../../lib/logs/retention.js';
import { registry } from '../../../lib/metrics.js';
import { GcsStorage } from '../../../lib/storage/gcs.js';
import { registerGcsBackend, storageFor } from '../../../lib/storage/index.js';
import { createBucket, startEmulator } from '../../helpers/gcs.js';
import { tempDir } from '../../helpers/temporal.js';

let emulator: FakeGcsServer;
beforeAll(async () => {
  emulator = await startEmulator();
  await createBucket(emulator.url, 'logs');
  registerGcsBackend(() => new GcsStorage({ apiEndpoint: emulator.url }));
});
afterAll(async () => {
  await emulator?.stop();
});

function header(ref: AttemptLogRef, startedAt = new Date()): AttemptHeader {
  return {
    kind: 'attempt',
    ...ref,
    workflowId: `${ref.pipeline}/${ref.runDate}`,
    activityType: ref.step.split('.')[0]!,
    activityId: ref.step.split('.')[1]!,
    worker: 'daybreak-worker@test:1',
    startedAt: startedAt.toISOString(),
  };
}

async function writeAttempt(
  root: string,
  ref: AttemptLogRef,
  fill: (log: AttemptLog) => void,
  startedAt?: Date,
) {
  const log = new AttemptLog(attemptLogUri(root, ref), header(ref, startedAt));
  log.start();
  fill(log);
  await log.close('succeeded');
  return log;
}

const roots = {
  'local disk': () => tempDir('attempt-log'),
  'gs:// (emulator)': () => `gs://logs/${randomUUID().slice(0, 8)}`,
};

describe.each(Object.entries(roots))('on %s', (_name, makeRoot) => {
  test('lines are kept redacted and read back by run, step and attempt', async () => {
    const root = makeRoot();
    const ref = {
      pipeline: 'identity-join',
      runDate: '2024-05-01',
      runId: 'run-a',
      step: 'joinShard.4',
      attempt: 1,
    };
    await writeAttempt(root, ref, (log) => {
      log.add('INFO', 'joined visitor jane.doe@example.com from 198.51.100.23 and 2001:db8::7', {
        taskToken: 'dG9rZW4=',
        row: { email: 'jane.doe@example.com', ip: '198.51.100.23', rows: 12 },
        error: new Error('connect ECONNREFUSED 127.0.0.1:6379 for jane.doe@example.com'),
      });
    });
    await writeAttempt(root, { ...ref, attempt: 2 }, (log) => log.add('WARN', 'second attempt'));
    const raw = await storageFor(attemptLogUri(root, ref)).readText(attemptLogUri(root, ref));
    expect(raw).not.toContain('jane.doe@example.com');
    expect(raw).not.toContain('198.51.100.23');
    expect(raw).not.toContain('2001:db8::7');
    expect(raw).not.toContain('dG9rZW4='); // SDK context attributes are the header's, said once

    const [run] = await readDateLogs(root, 'identity-join', '2024-05-01');
    expect(run!.runId).toBe('run-a');
    expect(run!.attempts.map((a) => [a.step, a.attempt, a.log.end?.status])).toEqual([
      ['joinShard.4', 1, 'succeeded'],
      ['joinShard.4', 2, 'succeeded'],
    ]);
    const [first] = run!.attempts[0]!.log.lines;
    expect(first).toMatchObject({
      n: 1,
      level: 'INFO',
      message: 'joined visitor <email> from <ip> and <ip>',
      meta: {
        row: { email: '<email>', ip: '<ip>', rows: 12 },
        error: 'Error: connect ECONNREFUSED 127.0.0.1:6379 for <email>',
      },
    });
    expect(run!.attempts[1]!.log.lines.map((l) => l.message)).toEqual(['second attempt']);
  });
});

test('a chatty attempt keeps its first and last lines and says how many it left out', async () => {
  const root = tempDir('attempt-log-cap');
  const ref = { pipeline: 'p', runDate: '2024-05-01', runId: 'r', step: 'chatty.1', attempt: 1 };
  const log = new AttemptLog(attemptLogUri(root, ref), header(ref), { headLines: 3, tailLines: 4 });
  for (let i = 1; i <= 50; i++) log.add('INFO', `line ${i}`);
  await log.close('failed', 'Boom: at line 50');
  const [run] = await readDateLogs(root, 'p', '2024-05-01');
  const { lines, end } = run!.attempts[0]!.log;
  expect(lines.map((l) => l.message)).toEqual([
    'line 1',
    'line 2',
    'line 3',
    '... 43 lines left out (an attempt log keeps its first 3 and last 4 lines)',
    'line 47',
    'line 48',
    'line 49',
    'line 50',
  ]);
  expect(end).toMatchObject({ status: 'failed', error: 'Boom: at line 50' });
});

test('a write that fails is counted, never thrown', async () => {
  const dir = tempDir('attempt-log-broken');
  const blocker = path.join(dir, 'root');
  fs.writeFileSync(blocker, 'a file where the logs folder would be');
  const before = await failures();
  const ref = { pipeline: 'p', runDate: '2024-05-01', runId: 'r', step: 's.1', attempt: 1 };
  await writeAttempt(blocker, ref, (log) => log.add('INFO', 'lost'));
  expect(await failures()).toBeGreaterThan(before);
});

async function failures(): Promise<number> {
  const metric = await registry.getSingleMetric('daybreak_attempt_log_write_failures_total')!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

test('the retention sweep removes runs that ran before the cutoff, whatever their logical date', async () => {
  const root = tempDir('attempt-log-retention');
  const now = new Date('2026-06-30T12:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  const ref = (runDate: string, runId: string, attempt = 1) => ({
    pipeline: 'p',
    runDate,
    runId,
    step: 's.1',
    attempt,
  });
  await writeAttempt(root, ref('2026-05-01', 'old'), () => undefined, daysAgo(40));
  await writeAttempt(root, ref('2026-05-01', 'old', 2), () => undefined, daysAgo(39));
  // A backfill of an old date that ran yesterday stays; so does a run with one recent attempt.
  await writeAttempt(root, ref('2019-01-01', 'backfilled'), () => undefined, daysAgo(1));
  await writeAttempt(root, ref('2026-05-01', 'long'), () => undefined, daysAgo(45));
  await writeAttempt(root, ref('2026-05-01', 'long', 2), () => undefined, daysAgo(2));
  const result = await sweepAttemptLogs(root, 30, now);
  expect(result).toEqual({ runsRemoved: 1, filesRemoved: 2 });
  expect((await readDateLogs(root, 'p', '2026-05-01')).map((r) => r.runId)).toEqual(['long']);
  expect((await readDateLogs(root, 'p', '2019-01-01')).map((r) => r.runId)).toEqual(['backfilled']);
  expect(fs.existsSync(path.join(root, '_logs', 'p', 'dt=2026-05-01', 'old'))).toBe(false);
  // 0 keeps everything.
  expect(await sweepAttemptLogs(root, 0, new Date('2030-01-01'))).toEqual({
    runsRemoved: 0,
    filesRemoved: 0,
  });
});
