// `daybreak run <sql pipeline> --as-of-run <run id>` (the real executable against the suite's dev
// server): after the file changed, a re-run repeats the SQL the named run carried in its input,
// while a plain run uses today's file; a bad or foreign run id is one line, exit 2.
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { curatedOutput } from '../../lib/paths.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { readRows } from '../helpers/identity-join.js';
import { publishUpstream, type Row } from '../helpers/sql-pipeline.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

const exec = promisify(execFile);
// Dates no other test runs `tally` for (workflow ids are namespace-wide).
const DATES = ['2031-05-01', '2031-05-02', '2031-05-03'];
let env: TestWorker;
let root: string;
let pipelinesDir: string;

const HEADER = `/*---
description: LiveRamp ids and a tally per id
owner: data-platform
inputs:
  events: identity-join
---*/
`;
/** Version 1 counts rows per id; version 2 (the file edited later) counts them times 100. */
const V1 = `${HEADER}SELECT lvr_id, count(*) AS tally FROM events GROUP BY lvr_id\n`;
const V2 = `${HEADER}SELECT lvr_id, count(*) * 100 AS tally FROM events GROUP BY lvr_id\n`;

/** A day's events: ids L0..L4, id L<k> appearing k + 1 + salt times. */
function events(salt: number): Row[] {
  return Array.from({ length: 5 }, (_, k) =>
    Array.from({ length: k + 1 + salt }, (_, j) => ({ lvr_id: `L${k}`, visitor_id: `v${k}-${j}` })),
  ).flat();
}
const SALT = [0, 1, 2];

/** What version 1 (factor 1) or 2 (factor 100) computes over a day's events, sorted by id. */
function expectedTally(salt: number, factor: number): Row[] {
  return Array.from({ length: 5 }, (_, k) => ({ lvr_id: `L${k}`, tally: (k + 1 + salt) * factor }));
}

async function published(date: string): Promise<Row[]> {
  const prefix = curatedOutput(root, 'tally', date);
  const manifest = await readManifest(prefix);
  expect(manifest, `no manifest at ${prefix}`).not.toBeNull();
  const rows = await readRows(manifest!.files.map((f) => path.join(prefix, f.name)));
  return rows
    .map((r) => ({ lvr_id: String(r.lvr_id), tally: Number(r.tally) }))
    .sort((a, b) => (a.lvr_id < b.lvr_id ? -1 : 1));
}

async function daybreak(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cliEnv = {
    TEMPORAL_ADDRESS: env.config.TEMPORAL_ADDRESS,
    DAYBREAK_TASK_QUEUE: env.config.DAYBREAK_TASK_QUEUE,
    DAYBREAK_DATA_ROOT: root,
    DAYBREAK_SCRATCH_DIR: env.config.DAYBREAK_SCRATCH_DIR,
    DAYBREAK_PIPELINES_DIR: pipelinesDir,
  };
  try {
    const { stdout, stderr } = await exec('node', ['bin/daybreak.js', ...args], {
      env: { ...process.env, ...cliEnv },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  const base = tempDir('sql-as-of-run');
  root = path.join(base, 'data');
  pipelinesDir = path.join(base, 'pipelines');
  await fs.mkdir(pipelinesDir, { recursive: true });
  for (const [i, date] of DATES.entries())
    await publishUpstream(root, 'identity-join', date, events(SALT[i]!), {
      lvr_id: 'VARCHAR',
      visitor_id: 'VARCHAR',
    });
  env = await startTestWorker(testConfig({ DAYBREAK_DATA_ROOT: root }));
});
afterAll(async () => {
  await env?.stop();
});

test('--as-of-run repeats the SQL of the earlier run after the file changed; a plain run uses the file of today', async () => {
  const file = path.join(pipelinesDir, 'tally.sql');
  await fs.writeFile(file, V1);
  const first = await daybreak('run', 'tally', '--date', DATES[0]!, '--json');
  expect(first.code, first.stderr).toBe(0);
  expect(await published(DATES[0]!)).toEqual(expectedTally(SALT[0]!, 1));
  const { runId } = await env.client.workflow.getHandle(`tally/${DATES[0]}`).describe();

  await fs.writeFile(file, V2);
  const repeated = await daybreak('run', 'tally', '--date', DATES[1]!, '--json', '--as-of-run', runId);
  expect(repeated.code, repeated.stderr).toBe(0);
  expect(repeated.stderr).toContain(`daybreak: repeating the SQL of run ${runId} (`);
  expect(await published(DATES[1]!)).toEqual(expectedTally(SALT[1]!, 1));

  const today = await daybreak('run', 'tally', '--date', DATES[2]!, '--json');
  expect(today.code, today.stderr).toBe(0);
  expect(await published(DATES[2]!)).toEqual(expectedTally(SALT[2]!, 100));

  // A run id that is not a UUID, and one of another pipeline: one line each, nothing started.
  const notUuid = await daybreak('run', 'tally', '--date', DATES[1]!, '--as-of-run', 'yesterday');
  expect(notUuid.code).toBe(2);
  expect(notUuid.stderr.trimEnd()).toBe('daybreak: --as-of-run takes a run id (a UUID); got "yesterday"');
  await fs.writeFile(path.join(pipelinesDir, 'other.sql'), V2);
  const foreign = await daybreak('run', 'other', '--date', DATES[1]!, '--as-of-run', runId);
  expect(foreign.code).toBe(2);
  expect(foreign.stderr.trimEnd()).toBe(`daybreak: run ${runId} is a run of tally/${DATES[0]}, not of other`);
});
