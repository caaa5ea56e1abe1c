// Logs per attempt on the suite's dev server: every activity attempt of a run leaves its own log
// under the data root (`_logs/<pipeline>/dt=<date>/<run>/<step>-<attempt>.log`), captured by the
// worker's interceptor with no code in the pipeline, PII redacted; `daybreak logs` lists a run's
// steps and attempts, prints one (a retried step's second attempt apart from its first), follows
// a running one; each activity's summary names its command; the failure alert names the failed
// step's last attempt. A SQL pipeline's attempts get logs too, with their progress lines.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { showLogs, type LogsOptions } from '../../cli/commands/logs.js';
import { listAttemptFiles, readDateLogs } from '../../lib/logs/read.js';
import { catalogue } from '../../pipelines/index.js';
import { startAlertingWorker, type AlertingWorker } from '../helpers/alerting-worker.js';
import { runSqlPipeline, writeRawDataset } from '../helpers/sql-pipeline.js';
import { tempDir } from '../helpers/temporal.js';
import { attemptLogsPipeline, VISITOR } from './attempt-logs/definition.js';

let env: AlertingWorker;
let pipelinesDir: string;
const pipeline = `attempt-logs-${randomUUID().slice(0, 6)}`;

beforeAll(async () => {
  pipelinesDir = tempDir('attempt-logs-sql');
  env = await startAlertingWorker(
    { DAYBREAK_PIPELINES_DIR: pipelinesDir },
    {
      catalogue: catalogue([attemptLogsPipeline(pipeline)]),
      extraWorkflowModules: [fileURLToPath(new URL('./attempt-logs/workflows.ts', import.meta.url))],
    },
  );
});
afterAll(async () => {
  await env?.stop();
});

function run(date: string, params: { chattyLines: number; fail: boolean }) {
  return env.client.workflow.start('attemptLogsRun', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `${pipeline}/${date}`,
    args: [{ runDate: date, params }],
  });
}

async function logs(opts: LogsOptions, name = pipeline): Promise<string> {
  let out = '';
  await showLogs(env.config, name, opts, (text) => (out += text));
  return out;
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

test('each attempt keeps its own log, PII redacted; logs lists the steps and prints one attempt', async () => {
  const date = '2019-03-04';
  const handle = await run(date, { chattyLines: 2, fail: false });
  await handle.result();

  const listing = await logs({ date });
  expect(listing).toContain(`run ${handle.firstExecutionRunId}`);
  expect(listing).toMatch(/^flakyStep\.\d+\s+1\s+failed\s/m);
  expect(listing).toMatch(/^flakyStep\.\d+\s+2\s+succeeded\s/m);
  expect(listing).toMatch(/^chattyStep\.\d+\s+1\s+succeeded\s/m);

  const first = await logs({ date, step: 'flakyStep', attempt: 1 });
  expect(first).toMatch(/step flakyStep\.\d+ attempt 1 of 2 on daybreak-worker@/);
  expect(first).toContain(
    'loaded visitor record {"record":{"visitor_id":"v-17","email":"<email>","ip":"<ip>"}}',
  );
  expect(first).toContain('visitor <email> from <ip>, attempt 1');
  expect(first).toMatch(/# failed after .*: FlakyOnce: upstream busy for <email>, try again/);
  // The default is the step's last attempt, and it holds only its own lines.
  const last = await logs({ date, step: 'flakyStep' });
  expect(last).toMatch(/attempt 2 of 2/);
  expect(last).toContain('visitor <email> from <ip>, attempt 2');
  expect(last).not.toContain('attempt 1');
  expect(last).toMatch(/# succeeded after /);

  // Raw PII never reached storage.
  const files = filesUnder(path.join(env.config.DAYBREAK_DATA_ROOT, '_logs'));
  expect(files.length).toBeGreaterThanOrEqual(3);
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    expect(text, file).not.toContain(VISITOR.email);
    expect(text, file).not.toContain(VISITOR.ip);
  }

  // Each activity's summary in the Web UI names the command that prints its log.
  const history = await handle.fetchHistory();
  const scheduled = (history.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'flakyStep',
  );
  expect(scheduled).toHaveLength(1);
  const id = scheduled[0]!.activityTaskScheduledEventAttributes!.activityId!;
  const summary = defaultPayloadConverter.fromPayload(scheduled[0]!.userMetadata!.summary!);
  expect(summary).toBe(`logs: daybreak logs ${pipeline} --date ${date} --step flakyStep.${id}`);
  expect(listing).toContain(`flakyStep.${id}`);

  // Nothing there: errors that name the pipeline, the date and what there is.
  await expect(logs({ date: '2001-01-01' })).rejects.toThrow(
    new RegExp(`^no attempt logs for ${pipeline} on 2001-01-01 under `),
  );
  await expect(logs({ date, step: 'nope' })).rejects.toThrow(
    new RegExp(`^${pipeline} on ${date} has no step nope; its steps: .*flakyStep\\.${id}`),
  );
  await expect(logs({ date, step: 'flakyStep', attempt: 9 })).rejects.toThrow(
    `step flakyStep.${id} of ${pipeline} on ${date} has no attempt 9; its attempts: 1, 2`,
  );
});

test('--follow prints a running attempt as it goes, each line once, and stops when it ends', async () => {
  const date = '2019-03-05';
  const lines = 12;
  const handle = await run(date, { chattyLines: lines, fail: false });
  const root = env.config.DAYBREAK_DATA_ROOT;
  for (;;) {
    const files = await listAttemptFiles(root, pipeline, date);
    if (files.some((f) => f.step.startsWith('chattyStep.'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const printedAt: number[] = [];
  let out = '';
  await showLogs(env.config, pipeline, { date, step: 'chattyStep', follow: true, pollMs: 200 }, (text) => {
    out += text;
    if (text.includes('chatty line')) printedAt.push(Date.now());
  });
  for (let i = 1; i <= lines; i++) expect(out.split(`chatty line ${i} of ${lines}\n`)).toHaveLength(2);
  expect(out).toMatch(/# succeeded after .*\n$/);
  // Tailed while it ran (~3 s of lines), not printed at once after the end.
  expect(printedAt[printedAt.length - 1]! - printedAt[0]!).toBeGreaterThan(1_000);
  await handle.result();
});

test("the failure alert names the failed step's last attempt and its log file", async () => {
  const date = '2019-03-06';
  const handle = await run(date, { chattyLines: 1, fail: true });
  await expect(handle.result()).rejects.toThrow();
  const deadline = Date.now() + 30_000;
  const ours = () => env.smtp.messages.find((m) => m.mail.subject?.includes(`${pipeline} ${date}`));
  while (!ours() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const alert = ours();
  const text = alert?.mail.text ?? '';
  expect(text).toContain('Failed step: failingStep');
  const command = new RegExp(
    `^Logs: daybreak logs ${pipeline} --date ${date} --step (failingStep\\.\\d+) --attempt 2$`,
    'm',
  ).exec(text);
  expect(command, text).not.toBeNull();
  const file = /^Log file: (.+)$/m.exec(text)?.[1];
  expect(fs.readFileSync(file!, 'utf8')).toContain('about to fail, attempt 2');
  const shown = await logs({ date, step: command![1], attempt: 2 });
  expect(shown).toContain('about to fail, attempt 2');
  expect(shown).toMatch(/# failed after .*: StillBroken: still broken/);
});

test("a SQL pipeline's attempts get their logs with no code of its own, progress lines included", async () => {
  const date = '2019-03-07';
  const root = env.config.DAYBREAK_DATA_ROOT;
  await writeRawDataset(
    root,
    'user_profile',
    [
      { lvr_id: 'L1', level: 'expert' },
      { lvr_id: 'L2', level: 'basic' },
    ],
    { lvr_id: 'VARCHAR', level: 'VARCHAR' },
  );
  fs.writeFileSync(
    path.join(pipelinesDir, 'levels.sql'),
    '/*---\ndescription: levels (attempt-logs test)\nowner: test\ninputs:\n  profiles: raw/user_profile\nmode: single\n---*/\nSELECT level, count(*) AS n FROM profiles GROUP BY level\n',
  );
  await runSqlPipeline(env.client, env.config, 'levels', date);
  const [only] = await readDateLogs(root, 'levels', date);
  expect(only!.attempts.length).toBeGreaterThanOrEqual(2);
  for (const a of only!.attempts) expect(a.log.end?.status, a.step).toBe('succeeded');
  const progress = only!.attempts.flatMap((a) => a.log.lines).filter((l) => l.message === 'progress');
  expect(progress.map((l) => l.meta?.step)).toContain('staging the inputs');
});
