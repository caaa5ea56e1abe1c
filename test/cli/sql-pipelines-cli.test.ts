// `daybreak pipelines list|show|validate` on a folder of SQL files (the real executable): list and
// show include them beside the built-ins; validate binds each query against its inputs' newest
// data, prints the output schema, and names file, line and key for every mistake (exit code 1).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, expect, test } from 'vitest';
import { publishUpstream, writeParquet } from '../helpers/sql-pipeline.js';
import { tempDir } from '../helpers/temporal.js';

const exec = promisify(execFile);
let dir: string;
let root: string;

const EVENTS = { lvr_id: 'VARCHAR', visitor_id: 'VARCHAR' };
const PROFILE = { lvr_id: 'VARCHAR', country: 'VARCHAR' };

function header(inputs: string, rest = ''): string {
  return `/*---\ndescription: test\nowner: data-platform\ninputs:\n${inputs}\n${rest}---*/\n`;
}

beforeAll(async () => {
  const base = tempDir('sql-cli');
  dir = path.join(base, 'pipelines');
  root = path.join(base, 'data');
  await fs.mkdir(dir, { recursive: true });
  const rows = [
    { lvr_id: 'L1', visitor_id: 'v1' },
    { lvr_id: 'L2', visitor_id: 'v2' },
  ];
  await publishUpstream(root, 'identity-join', '2025-03-01', rows, EVENTS);
  await publishUpstream(root, 'identity-join', '2025-03-02', rows, EVENTS);
  await writeParquet(path.join(root, 'raw/user_profile'), [{ lvr_id: 'L1', country: 'FR' }], PROFILE);
  const files: Record<string, string> = {
    // Good: prints its output schema, bound against the newest partition.
    'visits.sql':
      header('  events: identity-join\n  profiles: raw/user_profile', 'checks:\n  notNull: [lvr_id]\n') +
      "SELECT e.lvr_id, p.country, count(*) AS visits, getvariable('run_date') AS dt\nFROM events e LEFT JOIN profiles p USING (lvr_id)\nGROUP BY ALL\n",
    // Good, but nothing to bind against yet.
    'later.sql': header('  x: raw/not_exported_yet') + 'SELECT * FROM x\n',
    'unknown-key.sql': header('  events: identity-join', 'schedule: hourly\n') + 'SELECT * FROM events\n',
    'bad-mode.sql': header('  events: identity-join', 'mode: parallel\n') + 'SELECT * FROM events\n',
    'missing-column.sql':
      header('  events: identity-join', 'checks:\n  unique: [visits]\n') + 'SELECT lvr_id FROM events\n',
    'map-aggregate.sql':
      header('  events: identity-join', 'mode: map\n') +
      'SELECT lvr_id, count(*) AS n FROM events GROUP BY lvr_id\n',
    'unknown-input.sql': header('  events: identity-joins') + 'SELECT * FROM events\n',
    'bad-query.sql': header('  events: identity-join') + 'SELECT no_such_column FROM events\n',
    // mode shuffle: valid per bucket of lvr_id; grouping by another column; no shardBy; an input
    // without the shardBy column.
    'shuffled.sql':
      header('  events: identity-join\n  profiles: raw/user_profile', 'mode: shuffle\nshardBy: lvr_id\n') +
      'SELECT e.lvr_id, any_value(p.country) AS country, count(*) AS visits\nFROM events e LEFT JOIN profiles p USING (lvr_id)\nGROUP BY e.lvr_id\n',
    'shuffle-other-key.sql':
      header('  events: identity-join', 'mode: shuffle\nshardBy: lvr_id\n') +
      'SELECT visitor_id, count(*) AS visits\nFROM events\nGROUP BY visitor_id\n',
    'shuffle-no-key.sql': header('  events: identity-join', 'mode: shuffle\n') + 'SELECT * FROM events\n',
    'shuffle-key-missing.sql':
      header(
        '  events: identity-join\n  profiles: raw/user_profile',
        'mode: shuffle\nshardBy: visitor_id\n',
      ) + 'SELECT visitor_id, count(*) AS visits FROM events GROUP BY visitor_id\n',
  };
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
});

async function daybreak(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    DAYBREAK_PIPELINES_DIR: dir,
    DAYBREAK_DATA_ROOT: root,
    DAYBREAK_SCRATCH_DIR: path.join(root, '..', 'scratch'),
  };
  try {
    const { stdout, stderr } = await exec('node', ['bin/daybreak.js', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('validate binds each good query, prints its output schema, and names file, line and key of every mistake', async () => {
  const { code, stdout } = await daybreak('pipelines', 'validate');
  expect(code).toBe(1);
  const shown = (name: string) => path.join(dir, name);
  expect(stdout).toContain(`${shown('visits.sql')}: ok, visits (mode single)`);
  expect(stdout).toContain(
    'reads events = curated/identity-join (dt=2025-03-02, 1 file(s)); profiles = raw/user_profile (whole, 1 file(s))',
  );
  expect(stdout).toContain('output: lvr_id VARCHAR, country VARCHAR, visits BIGINT, dt DATE');
  expect(stdout).toContain(`${shown('later.sql')}: ok, later (mode single)`);
  expect(stdout).toMatch(/output: unknown, no data yet for x \(raw\/not_exported_yet\)/);
  expect(stdout).toMatch(new RegExp(`${shown('unknown-key.sql')}:6: schedule: .*unknown key`, 'i'));
  expect(stdout).toContain(`${shown('bad-mode.sql')}:6: mode: one of single, map`);
  expect(stdout).toMatch(new RegExp(`${shown('missing-column.sql')}:7: checks\\.unique\\[0\\]: .*visits`));
  expect(stdout).toMatch(
    new RegExp(
      `${shown('map-aggregate.sql')}:6: mode: map runs the query once per group .* aggregates.*use mode: single`,
    ),
  );
  expect(stdout).toMatch(
    new RegExp(`${shown('unknown-input.sql')}:5: inputs\\.events: no pipeline is named identity-joins`),
  );
  expect(stdout).toMatch(new RegExp(`${shown('bad-query.sql')}:7: .*no_such_column`));
  expect(stdout).toContain(`${shown('shuffled.sql')}: ok, shuffled (mode shuffle by lvr_id)`);
  expect(stdout).toMatch(
    new RegExp(
      `${shown('shuffle-other-key.sql')}:11: mode: shuffle runs the query once per bucket of lvr_id .* groups by visitor_id without lvr_id: per bucket its results would be wrong; use mode: single`,
    ),
  );
  expect(stdout).toContain(`${shown('shuffle-no-key.sql')}:6: shardBy: required with mode: shuffle`);
  expect(stdout).toContain(
    `${shown('shuffle-key-missing.sql')}:8: shardBy: input profiles (raw/user_profile) has no column visitor_id (columns: lvr_id, country)`,
  );
  expect(stdout).toContain('12 SQL pipeline file(s): 3 ok, 9 with problems');
});

test('list and show include the SQL pipelines beside the built-ins, with their datasets and upstream', async () => {
  const list = await daybreak('pipelines', 'list', '--json');
  expect(list.code).toBe(0);
  const all = JSON.parse(list.stdout) as { name: string; reads: unknown; after?: string[] }[];
  const names = all.map((p) => p.name);
  expect(names).toEqual(expect.arrayContaining(['identity-join', 'session-ranking', 'visits', 'later']));
  expect(names).not.toContain('bad-mode');
  expect(list.stderr).toMatch(/left out .*bad-mode\.sql:6: mode/);
  const show = await daybreak('pipelines', 'show', 'visits');
  expect(show.code).toBe(0);
  expect(show.stdout).toContain('curated/identity-join');
  expect(show.stdout).toContain('raw/user_profile');
  expect(show.stdout).toContain('sqlPipeline');
});
