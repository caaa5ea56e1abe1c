// Unit tests: the DAG shape wires only registered pipelines; logical dates come from the scheduled
// time in the schedule's zone; backfill windows cover exactly the asked logical dates.
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { PIPELINES, type PipelineDefinition } from '../../lib/pipelines/index.js';
import { compileSchedule } from '../../schedules/compile.js';
import dailyDefinition from '../../schedules/definitions/daily.js';
import { buildBranches } from '../../schedules/dag.js';
import { durationMs } from '../../schedules/types.js';
import {
  calendarDateIn,
  logicalDateOf,
  scheduledWindowFor,
  startOfDateIn,
} from '../../lib/contracts/logical-date.js';

const fake = (name: string): PipelineDefinition => ({
  name,
  workflowType: name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()),
  description: name,
  params: {},
  buildParams: () => ({}),
});

describe('DAG shape', () => {
  test('only registered pipelines are wired; feature-sync waits for model-scoring', () => {
    const all = Object.fromEntries(
      ['feature-sync', 'identity-join', 'model-scoring', 'session-ranking'].map((n) => [n, fake(n)]),
    );
    const branches = buildBranches({
      registry: all,
      pipelines: 'all',
      dataRoot: '/data',
      inputs: { 'identity-join': ['{root}/raw/v/dt={date}'] },
    });
    expect(branches.map((b) => [b.pipeline, b.dependsOn])).toEqual([
      ['identity-join', []],
      ['session-ranking', []],
      ['model-scoring', []],
      ['feature-sync', ['model-scoring']],
    ]);
    expect(branches[0]!.inputs).toEqual(['/data/raw/v/dt={date}']);
    expect(branches[3]!.workflowType).toBe('featureSync');

    const partial = buildBranches({
      registry: { 'feature-sync': fake('feature-sync'), 'session-ranking': fake('session-ranking') },
      pipelines: 'all',
      dataRoot: '/d',
    });
    expect(partial.map((b) => [b.pipeline, b.dependsOn])).toEqual([
      ['session-ranking', []],
      ['feature-sync', []],
    ]);
    expect(() => buildBranches({ registry: all, pipelines: ['nope'], dataRoot: '/d' })).toThrow(
      /unknown pipeline "nope"/,
    );
  });

  test('the shipped daily definition compiles against the real registry', () => {
    const config = loadConfig({ DAYBREAK_DATA_ROOT: '/data' });
    const compiled = compileSchedule(dailyDefinition, { config, registry: PIPELINES });
    expect(compiled.scheduleId).toBe('daybreak/daily');
    const input = compiled.options.action.args![0]!;
    // Every registered pipeline, each once; dependencies point at branches of the same DAG.
    expect(input.branches.map((b) => b.pipeline).sort()).toEqual(Object.keys(PIPELINES).sort());
    for (const b of input.branches)
      for (const d of b.dependsOn) expect(input.branches.map((x) => x.pipeline)).toContain(d);
    expect(input.logicalDateOffsetDays).toBe(-1);
    expect(input.sensor).toEqual({ pokeIntervalMs: 60_000, timeoutMs: 6 * 3600_000 });
    expect(compiled.options.action.memo).toMatchObject({ slaSeconds: 21600, alertRoute: 'default' });
    expect(compiled.options.spec.cronExpressions).toEqual(['0 2 * * *']);
    expect(compileSchedule(dailyDefinition, { config, registry: PIPELINES }).version).toBe(compiled.version);
    expect(
      compileSchedule({ ...dailyDefinition, slaSeconds: 60 }, { config, registry: PIPELINES }).version,
    ).not.toBe(compiled.version);
  });

  test('invalid definitions are rejected with the field named', () => {
    const config = loadConfig({});
    expect(() =>
      compileSchedule({ ...dailyDefinition, cron: undefined }, { config, registry: PIPELINES }),
    ).toThrow(/exactly one of cron and calendar/);
    expect(() =>
      compileSchedule({ ...dailyDefinition, overlap: 'NEVER' as 'SKIP' }, { config, registry: PIPELINES }),
    ).toThrow(/overlap/);
    expect(() =>
      compileSchedule({ ...dailyDefinition, name: 'Daily!' }, { config, registry: PIPELINES }),
    ).toThrow(/name: kebab-case/);
    expect(() =>
      compileSchedule({ ...dailyDefinition, alertRoute: 'oncall-typo' }, { config, registry: PIPELINES }),
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
