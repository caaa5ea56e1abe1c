// The catalogue, the workflow bundle and the worker agree: every definition's workflow is an
// export of the bundle under its name (and every pipeline workflow the bundle exports has a
// definition); the worker registers every definition's activities, none under two pipelines.
import { expect, test } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { PIPELINES } from '../../pipelines/index.js';
import { paramHelp } from '../../pipelines/params.js';
import { loadCatalogue } from '../../pipelines/sql.js';
import * as bundled from '../../workflows/index.js';
import { workerActivities } from '../../workers/worker.js';

/** Workflows of Daybreak's own machinery, not pipelines. */
const MACHINERY = ['daily', 'alertState', 'alertRedelivery', 'watchdog', 'backfill'];

test('every definition runs a workflow the bundle exports under its name, and no pipeline workflow lacks one', async () => {
  const exported = Object.entries(bundled).filter(([, v]) => typeof v === 'function');
  // The SQL files of pipelines/ run the generic sqlPipeline workflow.
  const { catalogue } = await loadCatalogue(loadConfig({}));
  expect(catalogue.pipelines.some((p) => p.sql)).toBe(true);
  for (const def of catalogue.pipelines) {
    expect(exported.find(([, fn]) => fn === def.workflow)?.[0], `${def.name}'s workflow`).toBe(
      def.workflow.name,
    );
  }
  const defined = new Set(catalogue.pipelines.map((d) => d.workflow.name));
  const orphans = exported.map(([name]) => name).filter((n) => !defined.has(n) && !MACHINERY.includes(n));
  expect(orphans, 'workflows exported without a definition').toEqual([]);
});

test("the worker registers every definition's activities, and no activity name twice", async () => {
  const config = loadConfig({});
  const registered = await workerActivities(config, PIPELINES);
  const owner = new Map<string, string>();
  for (const def of PIPELINES.pipelines) {
    const own = Object.keys((await def.activities())({ config }));
    expect(own.length, `${def.name} has activities`).toBeGreaterThan(0);
    for (const name of own) {
      expect(registered[name], `${def.name}: ${name} registered`).toBeTypeOf('function');
      expect(owner.get(name), `${name} belongs to one pipeline`).toBeUndefined();
      owner.set(name, def.name);
    }
  }
  for (const machinery of ['planDaily', 'checkInput', 'alertRunFailure', 'resolveRunAlerts'])
    expect(registered[machinery], machinery).toBeTypeOf('function');
});

test('every parameter has help text, and every dataset parameter a default', () => {
  for (const def of PIPELINES.pipelines) {
    for (const p of paramHelp(def)) expect(p.description, `${def.name}.${p.name}`).not.toBe('');
    const help = new Map(paramHelp(def).map((p) => [p.name, p]));
    for (const param of [...Object.keys(def.inputs), 'output'])
      expect(help.get(param)?.default, `${def.name}.${param}`).toMatch(/^<root>\//);
  }
});
