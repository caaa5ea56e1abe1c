// Schedules as code against the real dev server: apply creates, a second apply is a no-op, a
// changed definition updates in place, --prune deletes a removed one; backfill of 3 dates gives 3
// runs whose logical dates are those dates, in order, while the wall clock is years later; trigger,
// pause and unpause show in `schedules list` and on the server.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { addDays } from '../../lib/contracts/logical-date.js';
import { startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { pipelineOutput } from '../../lib/datasets.js';
import { BUILT_IN_PIPELINES, type PipelineDefinition } from '../../pipelines/index.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { applySchedules, listManagedScheduleIds, planApply } from '../../schedules/apply.js';
import { scheduleIdOf } from '../../schedules/compile.js';
import { retryTransient } from '../../schedules/retry.js';
import {
  backfillSchedule,
  listSchedules,
  pauseSchedule,
  triggerSchedule,
  unpauseSchedule,
} from '../../schedules/operations.js';
import type { ScheduleDefinitionInput } from '../../schedules/types.js';
import type { DailyResult } from '../../lib/contracts/daily.js';
import { PipelineKey, RunDateKey } from '../../lib/contracts/search-attributes.js';
import { fakePipeline } from '../helpers/fake-pipelines.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

let server: DevServer;
let env: TestWorker;
let dataDir: string;
const idPrefix = `daybreak-test-${randomUUID().slice(0, 8)}/`;

// A dev server of its own: schedules run on the server's internal scheduler workers, which starve
// first when the shared server is busy with the rest of the suite.
beforeAll(async () => {
  server = await startDevServer({
    binary: inject('temporalCli'),
    headless: true,
    logFile: path.join(tempDir('schedules-server'), 'temporal.log'),
  });
  env = await startTestWorker(testConfig({ TEMPORAL_ADDRESS: server.address }));
  dataDir = tempDir('schedules');
  await generateSessionRanking({ rows: 3_000, users: 300, seed: 11, out: dataDir, year: 2019 });
});
afterAll(async () => {
  await env?.stop();
  await server?.stop();
});

function rankingSchedule(
  name: string,
  extra: Partial<ScheduleDefinitionInput> = {},
): ScheduleDefinitionInput {
  return {
    name,
    description: `test schedule ${name}`,
    pipelines: ['session-ranking'],
    cron: '0 2 * * *',
    logicalDateOffsetDays: -1,
    overlap: 'BUFFER_ALL',
    params: {
      'session-ranking': {
        activity: path.join(dataDir, 'user_activity'),
        profile: path.join(dataDir, 'user_profile'),
        output: path.join(dataDir, name, 'dt={date}'),
        year: '2019',
      },
    },
    slaSeconds: 600,
    alertRoute: 'slack-only',
    // Paused: only backfills and triggers start runs, never the real 02:00 clock during the test.
    paused: true,
    ...extra,
  };
}

const ctx = () => ({ client: env.client, config: env.config, pipelines: BUILT_IN_PIPELINES, idPrefix });

async function runsOf(scheduleId: string, expected: number): Promise<WorkflowExecutionInfo[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const runs = await retryTransient(async () => {
      const found: WorkflowExecutionInfo[] = [];
      for await (const wf of env.client.workflow.list({ query: `TemporalScheduledById = "${scheduleId}"` }))
        found.push(wf);
      return found;
    });
    const closed = runs.filter((r) => r.closeTime);
    if (closed.length >= expected)
      return closed.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    if (Date.now() > deadline)
      throw new Error(`only ${closed.length}/${expected} runs of ${scheduleId} closed`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('apply', () => {
  test('creates, then is a no-op, updates a changed definition in place, prunes a removed one', async () => {
    const a = rankingSchedule('apply-a');
    const b = rankingSchedule('apply-b', { cron: '30 3 * * *' });

    const dry = await applySchedules({ ...ctx(), definitions: [a, b], dryRun: true });
    expect(dry.map((c) => [c.name, c.kind])).toEqual([
      ['apply-a', 'create'],
      ['apply-b', 'create'],
    ]);
    expect(await planApply({ ...ctx(), definitions: [a, b] }).then((p) => p.map((c) => c.kind))).toEqual([
      'create',
      'create',
    ]); // the dry run changed nothing

    const first = await applySchedules({ ...ctx(), definitions: [a, b] });
    expect(first.map((c) => c.kind)).toEqual(['create', 'create']);
    const created = await env.client.schedule.getHandle(scheduleIdOf('apply-b', idPrefix)).describe();
    expect(created.spec.timezone).toBe('UTC');
    expect(created.info.nextActionTimes[0]!.toISOString()).toMatch(/T03:30:00/);
    expect(created.policies.overlap).toBe('BUFFER_ALL');
    expect(created.action.type === 'startWorkflow' && created.action.memo).toMatchObject({
      slaSeconds: 600,
      alertRoute: 'slack-only',
    });
    const createdAt = created.info.createdAt;

    const second = await applySchedules({ ...ctx(), definitions: [a, b], prune: true });
    expect(second.map((c) => c.kind)).toEqual(['unchanged', 'unchanged']);
    const untouched = await env.client.schedule.getHandle(scheduleIdOf('apply-b', idPrefix)).describe();
    expect(untouched.info.lastUpdatedAt?.getTime()).toBe(created.info.lastUpdatedAt?.getTime());

    const changedB = { ...b, cron: '45 4 * * *', slaSeconds: 900 };
    const third = await applySchedules({ ...ctx(), definitions: [a, changedB] });
    expect(third.map((c) => `${c.name}:${c.kind}`)).toEqual(['apply-a:unchanged', 'apply-b:update']);
    const updated = await env.client.schedule.getHandle(scheduleIdOf('apply-b', idPrefix)).describe();
    expect(updated.info.createdAt.getTime()).toBe(createdAt.getTime()); // same schedule, updated in place
    expect(updated.info.nextActionTimes[0]!.toISOString()).toMatch(/T04:45:00/);
    expect(updated.action.type === 'startWorkflow' && updated.action.memo?.slaSeconds).toBe(900);
    expect(updated.state.paused).toBe(true);

    // Prune acts on what the server lists; listing is eventually consistent, so wait until it shows b.
    for (
      let i = 0;
      !(await listManagedScheduleIds(env.client, idPrefix)).includes(scheduleIdOf('apply-b', idPrefix));
      i++
    ) {
      if (i > 100) throw new Error('apply-b never appeared in the schedule listing');
      await new Promise((r) => setTimeout(r, 200));
    }
    const pruned = await applySchedules({ ...ctx(), definitions: [a], prune: true });
    expect(pruned.map((c) => `${c.name}:${c.kind}`)).toEqual(['apply-a:unchanged', 'apply-b:delete']);
    await expect(env.client.schedule.getHandle(scheduleIdOf('apply-b', idPrefix)).describe()).rejects.toThrow(
      /not found/i,
    );
    const again = await applySchedules({ ...ctx(), definitions: [a], prune: true });
    expect(again.map((c) => `${c.name}:${c.kind}`)).toEqual(['apply-a:unchanged']);
  });

  test('a definition with a wrong parameter is rejected before anything reaches the server', async () => {
    const bad = rankingSchedule('apply-bad', { params: { 'session-ranking': { tpo: '5' } } });
    await expect(planApply({ ...ctx(), definitions: [bad] })).rejects.toThrow(/no parameter "tpo"/);
  });

  test('a cycle, an input nobody writes and parameters for a pipeline not run are rejected, named', async () => {
    const plan = (pipelines: PipelineDefinition[], def = rankingSchedule('apply-dag')) =>
      planApply({ ...ctx(), pipelines: [...BUILT_IN_PIPELINES, ...pipelines], definitions: [def] });
    const a = fakePipeline('cycle-a', { upstream: pipelineOutput('cycle-b') });
    const b = fakePipeline('cycle-b', { upstream: pipelineOutput('cycle-a') });
    await expect(plan([a, b])).rejects.toThrow(
      'schedule apply-dag: dependency cycle: cycle-a -> cycle-b -> cycle-a',
    );
    await expect(
      plan([fakePipeline('orphan', { upstream: pipelineOutput('identty-join') })]),
    ).rejects.toThrow(/schedule apply-dag: orphan reads curated\/identty-join, which no pipeline writes/);
    const notRun = rankingSchedule('apply-dag', {
      params: { 'session-ranking': {}, 'feature-sync': { mode: 'full' } },
    });
    await expect(plan([], notRun)).rejects.toThrow(
      'schedule apply-dag: parameters given for feature-sync, which this schedule does not run (it runs session-ranking)',
    );
  });
});

describe('backfill, trigger, pause', () => {
  test('backfill of 3 dates: 3 runs, logical dates = those dates, in order, wall clock elsewhere', async () => {
    await applySchedules({ ...ctx(), definitions: [rankingSchedule('backfill')] });
    const plan = await backfillSchedule(env.client, 'backfill', '2019-03-01', '2019-03-03', idPrefix);
    expect(plan.dates).toEqual(['2019-03-01', '2019-03-02', '2019-03-03']);
    expect(plan.overlap).toBe('BUFFER_ALL');

    const runs = await runsOf(scheduleIdOf('backfill', idPrefix), 3);
    expect(runs).toHaveLength(3);
    const dates: string[] = [];
    for (const run of runs) {
      expect(run.status.name).toBe('COMPLETED');
      const result = (await env.client.workflow.getHandle(run.workflowId, run.runId).result()) as DailyResult;
      expect(result.dateSource).toBe('scheduled-time');
      // Nominal time 02:00 on the next day; the logical date is the day before it (offset -1).
      expect(result.scheduledTime).toBe(`${addDays(result.runDate, 1)}T02:00:00.000Z`);
      expect(result.outcomes.map((o) => [o.workflowId, o.status])).toEqual([
        [`session-ranking/${result.runDate}`, 'completed'],
      ]);
      expect(run.typedSearchAttributes.get(RunDateKey)?.toISOString().slice(0, 10)).toBe(result.runDate);
      expect(run.typedSearchAttributes.get(PipelineKey)).toBe('daily');
      expect(run.memo).toMatchObject({ slaSeconds: 600, alertRoute: 'slack-only' });
      // The child carries the clean id and the same logical date.
      const child = await env.client.workflow.getHandle(`session-ranking/${result.runDate}`).describe();
      expect(child.typedSearchAttributes.get(RunDateKey)?.toISOString().slice(0, 10)).toBe(result.runDate);
      expect(child.typedSearchAttributes.get(PipelineKey)).toBe('session-ranking');
      expect(child.memo).toMatchObject({ alertRoute: 'slack-only' });
      expect((await readManifest(path.join(dataDir, 'backfill', `dt=${result.runDate}`)))?.runDate).toBe(
        result.runDate,
      );
      dates.push(result.runDate);
    }
    expect(dates).toEqual(['2019-03-01', '2019-03-02', '2019-03-03']);
    // In order, one after another (BUFFER_ALL): each run starts after the previous one closed.
    for (let i = 1; i < runs.length; i++)
      expect(runs[i]!.startTime.getTime()).toBeGreaterThanOrEqual(runs[i - 1]!.closeTime!.getTime());
    expect(new Date().getUTCFullYear()).toBeGreaterThan(2019);
  });

  test('a schedule in another time zone: the logical date is read in that zone, across a DST change', async () => {
    const def = rankingSchedule('new-york', { cron: '30 1 * * *', timeZone: 'America/New_York' });
    await applySchedules({ ...ctx(), definitions: [def] });
    // 2019-03-10 is the day New York moved to summer time; its 01:30 run on the 11th is 05:30 UTC.
    const plan = await backfillSchedule(env.client, 'new-york', '2019-03-10', '2019-03-10', idPrefix);
    expect(plan.start).toBe('2019-03-11T04:00:00.000Z');
    const [run] = await runsOf(scheduleIdOf('new-york', idPrefix), 1);
    const result = (await env.client.workflow.getHandle(run!.workflowId, run!.runId).result()) as DailyResult;
    expect(result).toMatchObject({ runDate: '2019-03-10', scheduledTime: '2019-03-11T05:30:00.000Z' });
    expect(run!.typedSearchAttributes.get(RunDateKey)?.toISOString()).toBe('2019-03-10T00:00:00.000Z');
  });

  test('trigger, pause and unpause are reflected in list and on the server', async () => {
    await applySchedules({ ...ctx(), definitions: [rankingSchedule('ops', { paused: false })] });
    const id = scheduleIdOf('ops', idPrefix);
    let listed = (await listSchedules(env.client, idPrefix, ['ops'])).find((s) => s.name === 'ops')!;
    expect(listed.paused).toBe(false);
    expect(listed.nextRuns[0]).toMatch(/T02:00:00/);

    await pauseSchedule(env.client, 'ops', 'investigating a bad input', idPrefix);
    const paused = await env.client.schedule.getHandle(id).describe();
    expect(paused.state).toMatchObject({ paused: true, note: 'investigating a bad input' });
    listed = (await listSchedules(env.client, idPrefix, ['ops'])).find((s) => s.name === 'ops')!;
    expect(listed).toMatchObject({ paused: true, note: 'investigating a bad input' });

    // An apply keeps the operator's pause.
    expect(
      (await applySchedules({ ...ctx(), definitions: [rankingSchedule('ops', { paused: false })] }))[0]!.kind,
    ).toBe('unchanged');

    await unpauseSchedule(env.client, 'ops', undefined, idPrefix);
    expect((await env.client.schedule.getHandle(id).describe()).state.paused).toBe(false);

    await triggerSchedule(env.client, 'ops', idPrefix);
    const [run] = await runsOf(id, 1);
    listed = (await listSchedules(env.client, idPrefix, ['ops'])).find((s) => s.name === 'ops')!;
    expect(listed.paused).toBe(false);
    expect(listed.runsTaken).toBe(1);
    expect(listed.lastRun).toMatchObject({ workflowId: run!.workflowId, status: 'COMPLETED' });
    // A trigger's logical date is the day before the trigger (offset -1), from its scheduled time.
    const result = (await env.client.workflow.getHandle(run!.workflowId).result()) as DailyResult;
    expect(result.runDate).toBe(listed.lastRun!.logicalDate);
  });
});
