// Unit tests: the DAG comes from the datasets the pipelines declare (a subset schedule gets a
// sensor for its upstream); logical dates come from the scheduled time in the schedule's zone;
// backfill windows cover exactly the asked logical dates.
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { pipelineOutput } from '../../lib/datasets.js';
import { BUILT_IN_PIPELINES, catalogue, PIPELINES } from '../../pipelines/index.js';
import { buildBranches } from '../../pipelines/dag.js';
import { compileSchedule } from '../../schedules/compile.js';
import dailyDefinition from '../../schedules/definitions/daily.js';
import { durationMs } from '../../schedules/types.js';
import {
  calendarDateIn,
  logicalDateOf,
  scheduledWindowFor,
  startOfDateIn,
} from '../../lib/contracts/logical-date.js';
import { sensorInput } from '../../lib/contracts/sensors.js';
import { fakePipeline } from '../helpers/fake-pipelines.js';

const shape = (branches: ReturnType<typeof buildBranches>) =>
  branches.map((b) => [b.pipeline, b.dependsOn, b.inputs.map((i) => sensorInput(i).uri)]);

describe('DAG from datasets', () => {
  test('the whole catalogue: feature-sync after model-scoring, identity-join waits for its DS1 partition', () => {
    const branches = buildBranches({ catalogue: PIPELINES, pipelines: 'all', dataRoot: '/data' });
    expect(shape(branches)).toEqual([
      ['session-ranking', [], []],
      ['identity-join', [], ['/data/raw/visitor_events/dt={date}']],
      ['model-scoring', [], []],
      ['feature-sync', ['model-scoring'], []],
    ]);
    expect(branches[3]!.workflowType).toBe('featureSync');
    expect(branches[3]!.memo).toMatchObject({ slaSeconds: 4 * 3600 });
  });

  test('a subset: an upstream left out becomes a sensor on its output for the date', () => {
    const branches = buildBranches({ catalogue: PIPELINES, pipelines: ['feature-sync'], dataRoot: '/data' });
    expect(shape(branches)).toEqual([['feature-sync', [], ['/data/curated/model-scoring/dt={date}']]]);
    // The sensor knows which dataset it waits for (its InputMissing alert names it).
    expect(branches[0]!.inputs).toEqual([
      { uri: '/data/curated/model-scoring/dt={date}', dataset: 'curated/model-scoring' },
    ]);

    // A chain a <- b <- c declared only by datasets: any order in the list, any subset.
    const cat = catalogue([
      fakePipeline('chain-c', { fromB: pipelineOutput('chain-b') }),
      fakePipeline('chain-b', { fromA: pipelineOutput('chain-a') }),
      fakePipeline('chain-a'),
    ]);
    expect(
      shape(buildBranches({ catalogue: cat, pipelines: ['chain-c', 'chain-a', 'chain-b'], dataRoot: '/d' })),
    ).toEqual([
      ['chain-a', [], []],
      ['chain-b', ['chain-a'], []],
      ['chain-c', ['chain-b'], []],
    ]);
    expect(
      shape(buildBranches({ catalogue: cat, pipelines: ['chain-c', 'chain-a'], dataRoot: '/d' })),
    ).toEqual([
      ['chain-a', [], []],
      ['chain-c', [], ['/d/curated/chain-b/dt={date}']],
    ]);
  });

  test('schedule inputs add sensors; unknown pipelines and params for pipelines not run are refused', () => {
    const branches = buildBranches({
      catalogue: PIPELINES,
      pipelines: ['session-ranking'],
      inputs: { 'session-ranking': ['{root}/raw/user_activity/dt={date}'] },
      dataRoot: '/data',
    });
    expect(branches[0]!.inputs).toEqual(['/data/raw/user_activity/dt={date}']);
    expect(() => buildBranches({ catalogue: PIPELINES, pipelines: ['nope'], dataRoot: '/d' })).toThrow(
      /unknown pipeline "nope"; known: session-ranking, identity-join, model-scoring, feature-sync/,
    );
    expect(() =>
      buildBranches({
        catalogue: PIPELINES,
        pipelines: ['session-ranking'],
        rawParams: { 'identity-join': { shards: '2' } },
        dataRoot: '/d',
      }),
    ).toThrow(
      'parameters given for identity-join, which this schedule does not run (it runs session-ranking)',
    );
  });

  test('the catalogue refuses a cycle, an input nobody writes, a duplicate name, an unknown route', () => {
    expect(() =>
      catalogue([
        fakePipeline('loop-a', { x: pipelineOutput('loop-b') }),
        fakePipeline('loop-b', { x: pipelineOutput('loop-a') }),
      ]),
    ).toThrow('dependency cycle: loop-a -> loop-b -> loop-a');
    expect(() => catalogue([fakePipeline('self', { x: pipelineOutput('self') })])).toThrow(
      'dependency cycle: self reads its own output curated/self',
    );
    expect(() => catalogue([fakePipeline('lost', { x: pipelineOutput('nobody') })])).toThrow(
      /lost reads curated\/nobody, which no pipeline writes/,
    );
    expect(() => catalogue([fakePipeline('session-ranking')])).toThrow(
      'two pipelines are named session-ranking',
    );
    expect(() => catalogue([{ ...fakePipeline('routed'), alerts: { route: 'pager' } }])).toThrow(
      /routed: unknown alert route "pager"/,
    );
  });

  test('the shipped daily definition compiles against the real catalogue', () => {
    const config = loadConfig({ DAYBREAK_DATA_ROOT: '/data' });
    const compiled = compileSchedule(dailyDefinition, { config, pipelines: BUILT_IN_PIPELINES });
    expect(compiled.scheduleId).toBe('daybreak/daily');
    const input = compiled.options.action.args![0]!;
    // Every registered pipeline, each once; dependencies point at branches of the same DAG.
    expect(input.branches.map((b) => b.pipeline).sort()).toEqual(PIPELINES.names().sort());
    for (const b of input.branches)
      for (const d of b.dependsOn) expect(input.branches.map((x) => x.pipeline)).toContain(d);
    expect(input.logicalDateOffsetDays).toBe(-1);
    expect(input.sensor).toEqual({ pokeIntervalMs: 60_000, timeoutMs: 6 * 3600_000 });
    expect(compiled.options.action.memo).toMatchObject({ slaSeconds: 21600, alertRoute: 'default' });
    expect(compiled.options.spec.cronExpressions).toEqual(['0 2 * * *']);
    expect(compileSchedule(dailyDefinition, { config, pipelines: BUILT_IN_PIPELINES }).version).toBe(
      compiled.version,
    );
    expect(
      compileSchedule({ ...dailyDefinition, slaSeconds: 60 }, { config, pipelines: BUILT_IN_PIPELINES })
        .version,
    ).not.toBe(compiled.version);
  });

  test('invalid definitions are rejected with the field named', () => {
    const config = loadConfig({});
    expect(() =>
      compileSchedule({ ...dailyDefinition, cron: undefined }, { config, pipelines: BUILT_IN_PIPELINES }),
    ).toThrow(/exactly one of cron and calendar/);
    expect(() =>
      compileSchedule(
        { ...dailyDefinition, overlap: 'NEVER' as 'SKIP' },
        { config, pipelines: BUILT_IN_PIPELINES },
      ),
    ).toThrow(/overlap/);
    expect(() =>
      compileSchedule({ ...dailyDefinition, name: 'Daily!' }, { config, pipelines: BUILT_IN_PIPELINES }),
    ).toThrow(/name: kebab-case/);
    expect(() =>
      compileSchedule(
        { ...dailyDefinition, alertRoute: 'oncall-typo' },
        { config, pipelines: BUILT_IN_PIPELINES },
      ),
    ).toThrow(/alertRoute/);
  });
});

describe('logical dates', () => {
  test('from the scheduled time, in the schedule zone, with the day offset', () => {
    expect(logicalDateOf(new Date('2026-11-26T02:00:00Z'), 'UTC', -1)).toBe('2026-11-25');
    expect(logicalDateOf(new Date('2026-11-26T02:00:00Z'), 'UTC', 0)).toBe('2026-11-26');
    // 23:30 UTC on the 25th is already the 26th in Paris.
    expect(calendarDateIn(new Date('2026-11-25T23:30:00Z'), 'Europe/Paris')).toBe('2026-11-26');
    expect(logicalDateOf(new Date('2026-11-25T23:30:00Z'), 'Europe/Paris', -1)).toBe('2026-11-25');
    expect(calendarDateIn(new Date('2026-11-26T03:00:00Z'), 'America/New_York')).toBe('2026-11-25');
  });

  test('start of a date in a zone, across DST changes', () => {
    expect(startOfDateIn('2026-11-26', 'UTC').toISOString()).toBe('2026-11-26T00:00:00.000Z');
    expect(startOfDateIn('2026-11-26', 'Europe/Paris').toISOString()).toBe('2026-11-25T23:00:00.000Z');
    expect(startOfDateIn('2026-07-01', 'Europe/Paris').toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(startOfDateIn('2026-03-29', 'Europe/Paris').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDateIn('2026-03-30', 'Europe/Paris').toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });

  test('backfill window: scheduled times whose logical dates are from..to', () => {
    const w = scheduledWindowFor('2019-03-01', '2019-03-03', 'UTC', -1);
    expect(w.start.toISOString()).toBe('2019-03-02T00:00:00.000Z');
    expect(w.end.toISOString()).toBe('2019-03-04T23:59:59.000Z');
    for (const t of ['2019-03-02T02:00:00Z', '2019-03-03T02:00:00Z', '2019-03-04T02:00:00Z']) {
      const at = new Date(t);
      expect(at >= w.start && at <= w.end).toBe(true);
      expect(
        logicalDateOf(at, 'UTC', -1) >= '2019-03-01' && logicalDateOf(at, 'UTC', -1) <= '2019-03-03',
      ).toBe(true);
    }
  });

  test('durations', () => {
    expect(durationMs('1m')).toBe(60_000);
    expect(durationMs('6h')).toBe(21_600_000);
    expect(() => durationMs('6 hours')).toThrow(/not a duration/);
  });
});
