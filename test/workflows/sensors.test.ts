// Sensors as workflow loops, on the real dev server: ten sensors waiting at once on a worker with
// two activity slots hold none of them (a data pipeline started alongside runs at once); the
// publisher's signal wakes the waiting sensor within 2 s although its next look is minutes away;
// a missed deadline pages InputMissing for the pipeline-date it held back, naming the dataset,
// the date and the runbook section.
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { wakeSensors } from '../../activities/common/sensors.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { dagStateQuery, type DailyBranch, type DailyResult } from '../../lib/contracts/daily.js';
import { sensorRegistry, sensorsWaitingFor } from '../../lib/sensors.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import { PIPELINES } from '../../pipelines/index.js';
import { buildParams } from '../../pipelines/params.js';
import { startRun } from '../../pipelines/runs.js';
import { startAlertingWorker, type AlertingWorker } from '../helpers/alerting-worker.js';
import { tempDir } from '../helpers/temporal.js';

let env: AlertingWorker;
let dataDir: string;
// A date of its own: a failed DAG run alerts under the scope `daily/<date>`, whose alertState
// workflow lives on the task queue of the worker that started it. Shared with another test file,
// the second file's alerts wait on a state workflow whose worker has stopped (they hung until
// their timeouts when both files ran one after the other).
const RUN_DATE = '2018-05-15';
const tag = randomUUID().slice(0, 6);

beforeAll(async () => {
  env = await startAlertingWorker({ DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '2' });
  dataDir = tempDir('sensors');
  await generateSessionRanking({ rows: 2_000, users: 200, seed: 9, out: dataDir, year: 2018 });
});
afterAll(async () => {
  await env?.stop();
});

function ranking(name: string, inputs: DailyBranch['inputs']): DailyBranch {
  const def = PIPELINES.get('session-ranking');
  return {
    pipeline: `${name}-${tag}`,
    workflowType: def.workflow.name,
    params: buildParams(
      def,
      {
        activity: path.join(dataDir, 'user_activity'),
        profile: path.join(dataDir, 'user_profile'),
        output: path.join(dataDir, 'out', name),
      },
      { config: env.config, runDate: RUN_DATE },
    ),
    dependsOn: [],
    inputs,
    memo: { alertRoute: 'email-only' },
  };
}

/** An upstream output published the way a Daybreak pipeline does, then its sensors woken. */
async function publish(uri: string): Promise<void> {
  const file = path.join(tempDir('upstream'), 'part-0.txt');
  await fs.writeFile(file, 'x\n');
  await publishLocalFiles(uri, { pipeline: 'upstream', runDate: RUN_DATE }, [
    { localPath: file, name: 'part-0.txt', rows: 1 },
  ]);
  await wakeSensors(env.config, env.client, uri);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('ten waiting sensors hold no slot; a publish wakes its sensor within 2 s', async () => {
  const uris = Array.from({ length: 10 }, (_, i) =>
    path.join(dataDir, 'upstream', `u${i}`, `dt=${RUN_DATE}`),
  );
  const branches = uris.map((uri, i) => ranking(`waits-${i}`, [{ uri, dataset: `curated/upstream-${i}` }]));
  const handle: WorkflowHandle = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `daily/${RUN_DATE}-sensors-${tag}`,
    // Looks 10 minutes apart: only a signal can wake a sensor within the test.
    args: [
      {
        runDate: RUN_DATE,
        branches,
        rerun: 'all',
        sensor: { pokeIntervalMs: 600_000, timeoutMs: 1_800_000 },
      },
    ],
  });
  try {
    const registry = sensorRegistry(env.config.DAYBREAK_DATA_ROOT);
    await until('ten registered sensors', async () => {
      // A query can fail before the DAG's first workflow task is done (seen on a loaded machine).
      const state = await handle.query(dagStateQuery).catch(() => undefined);
      if (!state) return undefined;
      const waiting = state.branches.filter((b) => b.state === 'waiting').length;
      const registered = (await Promise.all(uris.map((u) => sensorsWaitingFor(registry, u)))).filter(
        (r) => r.length === 1,
      ).length;
      const pending = (await handle.describe()).raw.pendingActivities?.length ?? 0;
      return waiting === 10 && registered === 10 && pending === 0 ? true : undefined;
    });
    const state = await handle.query(dagStateQuery);
    expect(state.branches[3]).toMatchObject({ state: 'waiting', waitingFor: ['curated/upstream-3'] });

    // A data pipeline started alongside gets both slots at once: no task of it waits for a slot.
    const run = await startRun({
      client: env.client,
      config: env.config,
      pipeline: 'session-ranking',
      runDate: RUN_DATE,
      rawParams: {
        activity: path.join(dataDir, 'user_activity'),
        profile: path.join(dataDir, 'user_profile'),
        output: path.join(dataDir, 'out', 'alongside'),
        // Maps, reduces and a publish: several tasks that each need a slot (plan and resolve are local).
        shards: '2',
      },
    });
    await run.result();
    const scheduled = new Map<string, number>();
    const waits: number[] = [];
    for (const e of (await run.fetchHistory()).events ?? []) {
      const t = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), t);
      const started = e.activityTaskStartedEventAttributes;
      if (started) waits.push(t - scheduled.get(String(started.scheduledEventId))!);
    }
    expect(waits.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...waits)).toBeLessThan(2_000);

    // Publishing one input wakes its sensor (next look 10 minutes away) within 2 s.
    const published = Date.now();
    await publish(uris[4]!);
    await until(
      'the woken branch to run',
      async () => {
        const b = (await handle.query(dagStateQuery)).branches[4]!;
        return b.state === 'waiting' ? undefined : b.state;
      },
      10_000,
    );
    expect(Date.now() - published).toBeLessThan(2_000);
    const others = (await handle.query(dagStateQuery)).branches.filter((b) => b.state === 'waiting');
    expect(others).toHaveLength(9);

    for (const [i, uri] of uris.entries()) if (i !== 4) await publish(uri);
    const result = (await handle.result()) as DailyResult;
    expect(result.outcomes.map((o) => o.status)).toEqual(Array(10).fill('completed'));
    // Seen and done: no registration is left behind.
    for (const uri of uris) expect(await sensorsWaitingFor(registry, uri)).toEqual([]);
  } finally {
    await handle.terminate('test over').catch(() => undefined);
  }
});

test("an upstream run's commit wakes the downstream waiting for its output at once, not at its next look", async () => {
  const upstream = path.join(dataDir, 'out', `upstream-${tag}`);
  const handle = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `daily/${RUN_DATE}-woken-by-commit-${tag}`,
    args: [
      {
        runDate: RUN_DATE,
        branches: [ranking('after-upstream', [{ uri: upstream, dataset: 'curated/upstream' }])],
        rerun: 'all',
        sensor: { pokeIntervalMs: 600_000, timeoutMs: 1_800_000 },
      },
    ],
  });
  try {
    const registry = sensorRegistry(env.config.DAYBREAK_DATA_ROOT);
    await until('the registered sensor', async () =>
      (await sensorsWaitingFor(registry, upstream)).length === 1 ? true : undefined,
    );
    // The upstream is a real pipeline run (another logical date, so its id is its own).
    const run = await startRun({
      client: env.client,
      config: env.config,
      pipeline: 'session-ranking',
      runDate: '2018-05-16',
      rawParams: {
        activity: path.join(dataDir, 'user_activity'),
        profile: path.join(dataDir, 'user_profile'),
        output: upstream,
      },
    });
    await run.result();
    const committed = Date.parse((await readManifest(upstream))!.createdAt);
    const child = env.client.workflow.getHandle(`after-upstream-${tag}/${RUN_DATE}`);
    const started = await until('the downstream run', () =>
      child.describe().then(
        (d) => d.startTime.getTime(),
        () => undefined,
      ),
    );
    // Its next look was 10 minutes away: only the publisher's signal starts it this soon.
    expect(started - committed).toBeLessThan(3_000);
    const result = (await handle.result()) as DailyResult;
    expect(result.outcomes.map((o) => o.status)).toEqual(['completed']);
    expect(await sensorsWaitingFor(registry, upstream)).toEqual([]);
  } finally {
    await handle.terminate('test over').catch(() => undefined);
  }
});

test('a missed deadline pages InputMissing for the pipeline-date, naming dataset, date and runbook', async () => {
  const uri = path.join(dataDir, 'upstream', 'never', `dt=${RUN_DATE}`);
  const handle = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: `daily/${RUN_DATE}-missing-${tag}`,
    args: [
      {
        runDate: RUN_DATE,
        branches: [ranking('held-back', [{ uri, dataset: 'curated/never-upstream' }])],
        rerun: 'all',
        sensor: { pokeIntervalMs: 500, timeoutMs: 2_000 },
      },
    ],
  });
  const failure = await handle.result().catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const result = ((failure as WorkflowFailedError).cause as unknown as { details: DailyResult[] })
    .details[0]!;
  const outcome = result.outcomes[0]!;
  expect(outcome.error?.type).toBe('InputMissing');
  expect(outcome.error?.message).toContain(
    `input curated/never-upstream for ${RUN_DATE} was not published by its deadline: no _SUCCESS manifest at ${uri}`,
  );
  const mails = await env.smtp.waitFor(1);
  const alert = mails.find((m) => m.mail.subject?.includes(`held-back-${tag}`));
  expect(alert?.mail.subject).toBe(`[Daybreak] FAILED held-back-${tag} ${RUN_DATE}: InputMissing`);
  const text = alert!.mail.text ?? '';
  expect(text).toContain(`curated/never-upstream for ${RUN_DATE}`);
  expect(text).toContain('Sensor timeout (input never arrived)');
  expect(text).toContain(handle.workflowId.replaceAll('/', '%2F'));
  // The look that gave up removed its registration.
  expect(await sensorsWaitingFor(sensorRegistry(env.config.DAYBREAK_DATA_ROOT), uri)).toEqual([]);
});
