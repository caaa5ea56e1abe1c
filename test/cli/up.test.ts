// `daybreak up` (npm start) end to end, as a user runs it (a child process): sample data for every
// pipeline, Redis, the dev server with its Web UI, worker and feature API; the daily DAG through
// every pipeline, the SQL examples of pipelines/ included; a printed curl that reads a real customer's features; a quiet console with
// logs under the state folder; Ctrl-C within 5 s, also while a sensor waits, and the next start
// resuming the run; a second start reusing data and server state; a taken port named.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, expect, inject, test } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { generateIdentityJoin } from '../../datagen/identity-join.js';
import { freePort } from '../../devstack/dev-server.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import { tempDir } from '../helpers/temporal.js';

const RUN_DATE = '2026-03-02';
const WAIT_MS = 300_000;

interface Up {
  child: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp) => Promise<RegExpExecArray>;
}

/** Every `up` started here: one a failed test left running is stopped at the end. */
const started: ChildProcess[] = [];
afterAll(async () => {
  for (const child of started.filter((c) => c.exitCode === null && c.signalCode === null)) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    child.kill('SIGKILL');
  }
});

function startUp(env: Record<string, string>, args: string[] = []): Up {
  const child = spawn(process.execPath, ['bin/daybreak.js', 'up', '--date', RUN_DATE, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const waitFor = (re: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const deadline = Date.now() + WAIT_MS;
      const check = () => {
        const match = re.exec(out);
        if (match) resolve(match);
        else if (child.exitCode !== null) reject(new Error(`daybreak up exited ${child.exitCode}:\n${out}`));
        else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${re}; output:\n${out}`));
        else setTimeout(check, 200);
      };
      check();
    });
  return { child, output: () => out, waitFor };
}

/** Sends SIGINT (what Ctrl-C sends) and resolves with the exit code and how long stopping took. */
async function interrupt(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  const code = await exited;
  return { code, ms: Date.now() - started };
}

async function upEnv(root: string): Promise<Record<string, string>> {
  return {
    TEMPORAL_CLI: inject('temporalCli'),
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_UI_URL: `http://127.0.0.1:${await freePort()}`,
    REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    API_PORT: String(await freePort()),
    TEMPORAL_METRICS_PORT: '0',
    DAYBREAK_STATE_DIR: path.join(root, 'state'),
    DAYBREAK_DATA_ROOT: path.join(root, 'data'),
    DAYBREAK_SCRATCH_DIR: path.join(root, 'scratch'),
  };
}

/** The printed curl, run: its URL and the token from the file it names. */
async function runCurl(out: string): Promise<Response> {
  const m = /curl -H "Authorization: Bearer \$\(cat (\S+)\)" (\S+)/.exec(out);
  expect(m, out).not.toBeNull();
  const token = fs.readFileSync(m![1]!, 'utf8').trim();
  return fetch(m![2]!, { headers: { authorization: `Bearer ${token}` } });
}

// The four built-ins and the two example SQL pipelines of pipelines/ (after identity-join and session-ranking).
const PIPELINES = [
  'identity-join',
  'session-ranking',
  'model-scoring',
  'feature-sync',
  'daily-visits',
  'expert-profiles',
];

test(
  'up runs the daily DAG through every pipeline (the SQL examples too) on sample data, prints a working curl, stops on Ctrl-C; a second start reuses everything',
  { timeout: 900_000 },
  async () => {
    const root = tempDir('up');
    const env = await upEnv(root);
    const first = startUp(env);
    await first.waitFor(new RegExp(`daily/${RUN_DATE} completed: `));
    const out = first.output();
    for (const p of PIPELINES)
      expect(out).toMatch(new RegExp(`daily/${RUN_DATE} completed: .*${p} completed`));
    expect(out).toContain(`Web UI: ${env.TEMPORAL_UI_URL}/namespaces/default/workflows`);
    const token = /feature API development token \(kept in (\S+); shown only now\): (\S+)/.exec(out);
    expect(token).not.toBeNull();
    expect(fs.readFileSync(token![1]!, 'utf8').trim()).toBe(token![2]);
    // Where each output landed.
    for (const p of [
      'identity-join',
      'session-ranking',
      'model-scoring',
      'daily-visits',
      'expert-profiles',
    ]) {
      const output = path.join(root, 'data', 'curated', p, `dt=${RUN_DATE}`);
      expect(out).toContain(`${p}/${RUN_DATE} completed in `);
      expect(out).toContain(output);
      expect(fs.existsSync(path.join(output, '_SUCCESS')), p).toBe(true);
    }
    // The printed curl reads a real customer's features from the API.
    await first.waitFor(/read a customer's features: curl/);
    const res = await runCurl(first.output());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { view: string; features: { record_count: number } };
    expect(body.view).toBe('customer');
    expect(body.features.record_count).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${env.TEMPORAL_UI_URL}/`)).status).toBe(200);
    // A quiet console: logs and stack traces in the state folder only.
    expect(first.output()).not.toMatch(/\n\s+at \S+ \(/);
    const state = path.join(root, 'state');
    for (const f of ['temporal.db', 'redis', 'logs/worker.log', 'logs/temporal-server.log', 'logs/up.log'])
      expect(fs.existsSync(path.join(state, f)), f).toBe(true);

    const stopped = await interrupt(first.child);
    expect(stopped.code, first.output()).toBe(0);
    expect(stopped.ms).toBeLessThan(5_000);
    await expect(
      Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: 1000 }),
    ).rejects.toThrow();

    // Second start: same data, same runs (SQLite), same token; nothing generated again.
    const second = startUp(env);
    await second.waitFor(new RegExp(`daily/${RUN_DATE} completed: `));
    const again = second.output();
    expect(again).not.toContain('generating');
    expect(again).not.toContain('shown only now');
    expect(again).toContain(`session-ranking/${RUN_DATE} up to date`);
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    const ids: string[] = [];
    for await (const wf of new Client({ connection }).workflow.list({ query: `WorkflowType = 'daily'` }))
      ids.push(wf.workflowId);
    await connection.close();
    expect(ids).toEqual([`daily/${RUN_DATE}`, `daily/${RUN_DATE}`]);
    await second.waitFor(/read a customer's features: curl/);
    expect((await runCurl(second.output())).status).toBe(200);
    const code = await interrupt(second.child);
    expect(code.code, second.output()).toBe(0);
  },
);

test(
  'Ctrl-C stops up within 5 s while a sensor waits; the next start resumes the run',
  { timeout: 600_000 },
  async () => {
    const root = tempDir('up-sensor');
    const env = await upEnv(root);
    // The run date's visitor events are there but not published yet (no _SUCCESS): the sensor waits.
    const gen = await generateIdentityJoin({
      rows: 2_000,
      visitors: 500,
      seed: 3,
      out: path.join(root, 'gen'),
      days: 1,
      startDate: RUN_DATE,
    });
    const partition = path.join(root, 'data', 'raw', 'visitor_events', `dt=${RUN_DATE}`);
    fs.mkdirSync(path.dirname(partition), { recursive: true });
    fs.renameSync(path.join(gen.ds1Dir, `dt=${RUN_DATE}`), partition);
    fs.renameSync(gen.ds2Dir, path.join(root, 'data', 'raw', 'liveramp'));

    const first = startUp(env, ['--pipelines', 'identity-join']);
    await first.waitFor(new RegExp(`identity-join/${RUN_DATE} waiting for ${partition}/_SUCCESS`));
    const stopped = await interrupt(first.child);
    expect(stopped.code, first.output()).toBe(0);
    expect(stopped.ms, first.output()).toBeLessThan(5_000);
    expect(first.output()).not.toContain('generating');

    // The upstream publishes; the next start finds the DAG still running and its sensor resumed.
    // (Through the publish protocol, which refuses a prefix holding files it did not write.)
    const generated = `${partition}.generated`;
    fs.renameSync(partition, generated);
    await publishLocalFiles(
      partition,
      { pipeline: 'upstream', runDate: RUN_DATE },
      fs.readdirSync(generated).map((name) => ({ localPath: path.join(generated, name), name, rows: 1 })),
    );
    const second = startUp(env, ['--pipelines', 'identity-join']);
    await second.waitFor(new RegExp(`daily/${RUN_DATE} completed: identity-join completed`));
    expect(second.output()).toContain(
      `daily/${RUN_DATE} is already running (from an earlier start): following it`,
    );
    expect((await interrupt(second.child)).code).toBe(0);
  },
);

test('a taken Temporal port stops up with a message naming it', async () => {
  const root = tempDir('up-port');
  const env = await upEnv(root);
  const port = Number(env.TEMPORAL_ADDRESS!.split(':')[1]);
  const squatter = net.createServer().listen(port, '127.0.0.1');
  await new Promise((r) => squatter.once('listening', r));
  try {
    const up = startUp(env, ['--no-run']);
    const code = await new Promise<number | null>((resolve) => up.child.once('exit', resolve));
    expect(code).toBe(2);
    expect(up.output()).toContain(
      `daybreak: port ${port} (the Temporal dev server) is already in use by another process: stop that process, or set TEMPORAL_ADDRESS to use another port`,
    );
    expect(up.output()).not.toMatch(/\n\s+at /);
  } finally {
    squatter.close();
  }
});
