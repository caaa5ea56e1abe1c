// SQL files in the catalogue: each *.sql file of DAYBREAK_PIPELINES_DIR becomes a pipeline whose
// inputs are datasets, so the DAG orders it after its upstream (a built-in or another SQL file) and
// its branch carries the definition; a file with problems is left out, named with its line and key,
// and so is a file reading it; the rest of the catalogue still loads.
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { buildBranches } from '../../pipelines/dag.js';
import { loadCatalogue } from '../../pipelines/sql.js';
import { tempDir } from '../helpers/temporal.js';

function sqlFile(inputs: Record<string, string>, query: string, extra = ''): string {
  const lines = Object.entries(inputs).map(([k, v]) => `  ${k}: ${v}`);
  return `/*---\ndescription: test pipeline\nowner: data-platform\ninputs:\n${lines.join('\n')}\n${extra}---*/\n${query}\n`;
}

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = tempDir('sql-catalogue');
  await fs.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
  return dir;
}

const configFor = (dir: string) => loadConfig({ DAYBREAK_PIPELINES_DIR: dir, DAYBREAK_DATA_ROOT: '/data' });

test('the DAG runs a SQL pipeline after its upstream, built-in or SQL, and its branch carries the definition', async () => {
  const dir = await dirWith({
    'visits.sql': sqlFile({ events: 'identity-join', profiles: 'raw/user_profile' }, 'SELECT * FROM events'),
    'visits-summary.sql': sqlFile({ v: 'visits' }, 'SELECT count(*) AS n FROM v'),
  });
  const { catalogue, errors } = await loadCatalogue(configFor(dir));
  expect(errors).toEqual([]);
  expect(catalogue.upstreamOf('visits')).toEqual(['identity-join']);
  expect(catalogue.upstreamOf('visits-summary')).toEqual(['visits']);
  expect(catalogue.get('visits').inputs.events!.name).toBe('curated/identity-join');
  const branches = buildBranches({ catalogue, pipelines: 'all', dataRoot: '/data' });
  const order = branches.map((b) => b.pipeline);
  expect(order.indexOf('visits')).toBeGreaterThan(order.indexOf('identity-join'));
  expect(order.indexOf('visits-summary')).toBeGreaterThan(order.indexOf('visits'));
  const visits = branches.find((b) => b.pipeline === 'visits')!;
  expect(visits).toMatchObject({ workflowType: 'sqlPipeline', dependsOn: ['identity-join'] });
  expect(visits.sql).toMatchObject({
    name: 'visits',
    sql: 'SELECT * FROM events',
    inputs: { events: 'identity-join' },
  });
  // Run on its own, its upstream becomes a sensor on identity-join's output of the date.
  const alone = buildBranches({ catalogue, pipelines: ['visits'], dataRoot: '/data' });
  expect(alone[0]!.dependsOn).toEqual([]);
  expect(alone[0]!.inputs).toContainEqual({
    uri: '/data/curated/identity-join/dt={date}',
    dataset: 'curated/identity-join',
  });
  // The parameters build from the definition like a built-in's: one per input, defaults for the date.
  const params = catalogue.buildParams('visits', {}, { config: configFor(dir), runDate: '2025-03-02' }) as {
    inputs: Record<string, { uri: string; fromPipeline: boolean }>;
    output: string;
  };
  expect(params.inputs.events).toEqual({
    dataset: 'curated/identity-join',
    fromPipeline: true,
    uri: '/data/curated/identity-join/dt=2025-03-02',
  });
  expect(params.inputs.profiles!.fromPipeline).toBe(false);
  expect(params.output).toBe('/data/curated/visits/dt=2025-03-02');
});

test('a file with problems is left out naming its line and key; so is a file reading it; the others load', async () => {
  const dir = await dirWith({
    'good.sql': sqlFile({ events: 'identity-join' }, 'SELECT * FROM events'),
    'typo.sql': sqlFile({ events: 'identity-joins' }, 'SELECT * FROM events'),
    'bad-mode.sql': sqlFile({ events: 'identity-join' }, 'SELECT * FROM events', 'mode: parallel\n'),
    'reads-bad.sql': sqlFile({ m: 'bad-mode' }, 'SELECT * FROM m'),
    'Not_Kebab.sql': sqlFile({ events: 'identity-join' }, 'SELECT * FROM events'),
    'session-ranking.sql': sqlFile({ events: 'identity-join' }, 'SELECT * FROM events'),
    'notes.txt': 'not a pipeline',
  });
  const { catalogue, errors } = await loadCatalogue(configFor(dir));
  expect(catalogue.has('good')).toBe(true);
  expect(catalogue.get('session-ranking').sql).toBeUndefined(); // the built-in stays
  const messages = errors.map((e) => e.message);
  expect(messages).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        /typo\.sql:5: inputs\.events: no pipeline is named identity-joins; known: .*identity-join/,
      ),
      expect.stringMatching(/bad-mode\.sql:6: mode: one of single, map/),
      expect.stringMatching(/reads-bad\.sql:5: inputs\.m: reads bad-mode, whose file has problems/),
      expect.stringMatching(/Not_Kebab\.sql:1: .*kebab-case/),
      expect.stringMatching(/session-ranking\.sql:1: session-ranking is a built-in pipeline/),
    ]),
  );
  expect(errors).toHaveLength(5);
  for (const name of ['typo', 'bad-mode', 'reads-bad']) expect(catalogue.has(name), name).toBe(false);
});

test('a dependency cycle through SQL files leaves those files out with the cycle named', async () => {
  const dir = await dirWith({
    'a.sql': sqlFile({ x: 'b' }, 'SELECT * FROM x'),
    'b.sql': sqlFile({ x: 'a' }, 'SELECT * FROM x'),
    'c.sql': sqlFile({ events: 'identity-join' }, 'SELECT * FROM events'),
  });
  const { catalogue, errors } = await loadCatalogue(configFor(dir));
  expect(catalogue.has('c')).toBe(true);
  expect(catalogue.has('a') || catalogue.has('b')).toBe(false);
  expect(errors.map((e) => e.file.endsWith('a.sql') || e.file.endsWith('b.sql'))).toEqual([true, true]);
  expect(errors[0]!.message).toMatch(/dependency cycle/);
});
