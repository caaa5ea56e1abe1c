// `daybreak up` (npm start) end to end: embedded server with Web UI and SQLite state, worker,
// sample data, one run; Ctrl-C stops everything; runs survive a restart of `up`.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { inject } from 'vitest';
import { Connection, Client } from '@temporalio/client';
import { freePort } from '../../devstack/dev-server.js';
import { tempDir } from '../helpers/temporal.js';

function startUp(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  waitFor: (re: RegExp) => Promise<void>;
} {
  const child = spawn(process.execPath, ['bin/daybreak.js', 'up'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`timed out waiting for ${re}; output:\n${out}`)),
        90_000,
      );
      const check = () => {
        if (re.test(out)) {
          clearTimeout(deadline);
          resolve();
        } else if (child.exitCode !== null) {
          clearTimeout(deadline);
          reject(new Error(`daybreak up exited ${child.exitCode}:\n${out}`));
        } else setTimeout(check, 200);
      };
      check();
    });
  return { child, output: () => out, waitFor };
}

async function interrupt(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

test('up starts everything, runs the sample, stops on Ctrl-C, and keeps runs across restarts', async () => {
  const root = tempDir('up');
  const port = await freePort();
  const uiPort = await freePort();
  const env = {
    TEMPORAL_CLI: inject('temporalCli'),
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_UI_URL: `http://127.0.0.1:${uiPort}`,
    DAYBREAK_STATE_DIR: path.join(root, 'state'),
    DAYBREAK_DATA_ROOT: path.join(root, 'data'),
    DAYBREAK_SCRATCH_DIR: path.join(root, 'scratch'),
  };
  const first = startUp(env);
  await first.waitFor(/session-ranking\/\d{4}-\d{2}-\d{2} completed/);
  expect(first.output()).toContain(`Web UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows`);
  expect(fs.existsSync(path.join(root, 'state', 'temporal.db'))).toBe(true);
  const runDirs = fs.readdirSync(path.join(root, 'data', 'curated', 'session-ranking'));
  expect(runDirs).toHaveLength(1);
  // The manifest and the two files it lists, named with the run's tag.
  expect(fs.readdirSync(path.join(root, 'data', 'curated', 'session-ranking', runDirs[0]!)).sort()).toEqual([
    '_SUCCESS',
    expect.stringMatching(/^ranking-[0-9a-f]{10}\.json$/),
    expect.stringMatching(/^ranking-[0-9a-f]{10}\.parquet$/),
  ]);
  const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
  expect(ui.status).toBe(200);
  expect(await interrupt(first.child)).toBe(0);
  await expect(Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: 1000 })).rejects.toThrow();

  // Second start: the first run is still in the server's history (SQLite state).
  const second = startUp(env);
  await second.waitFor(/running; press Ctrl-C/);
  expect(second.output()).not.toContain('generating sample');
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const client = new Client({ connection });
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = 'sessionRanking'` }))
    ids.push(wf.workflowId);
  await connection.close();
  expect(ids.length).toBeGreaterThanOrEqual(1);
  const code = await interrupt(second.child);
  expect(code, second.output()).toBe(0);
});
