// The image's entry points run from a production install, so the image cannot be missing a
// dependency: the Docker build context (.dockerignore applied) is copied to a temporary folder,
// `npm ci --omit=dev` installs it and `daybreak bundle` prebuilds the workflow bundle as the
// Dockerfile does, then every entry point's `--help` runs and the worker starts for real (on that
// bundle) against the suite's dev server, polls, runs a pipeline (DuckDB's native bindings
// included) and drains on SIGTERM with exit code 0.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { Connection } from '@temporalio/client';
import { freePort } from '../../devstack/dev-server.js';
import { copyDockerContext } from '../helpers/docker-context.js';
import { AWAITING_MERGE, ENTRY_POINTS, type EntryPoint } from './entry-points.js';

const run = promisify(execFile);
let app: string;
let work: string;
const children: ChildProcess[] = [];

/** A clean environment: what a container gets, not the test runner's settings. */
function containerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    DAYBREAK_DATA_ROOT: path.join(work, 'data'),
    DAYBREAK_STATE_DIR: path.join(work, 'state'),
    DAYBREAK_SCRATCH_DIR: path.join(work, 'scratch'),
    DAYBREAK_WORKFLOW_BUNDLE: path.join(app, 'workflow-bundle.js'),
    ...extra,
  };
}

function daybreak(args: string[], env = containerEnv()) {
  return run(process.execPath, ['bin/daybreak.js', ...args], { cwd: app, env, maxBuffer: 16 << 20 });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'daybreak-image-'));
  app = path.join(work, 'app');
  const files = copyDockerContext(app);
  expect(files.length).toBeGreaterThan(20);
  await run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: app,
    env: { ...process.env, NODE_ENV: 'production' },
    maxBuffer: 16 << 20,
  });
  await daybreak(['bundle', '--out', path.join(app, 'workflow-bundle.js')]);
}, 600_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the install has production dependencies only', () => {
  const has = (name: string) => fs.existsSync(path.join(app, 'node_modules', name, 'package.json'));
  for (const prod of ['tsx', '@temporalio/worker', '@duckdb/node-api', 'zod', 'commander'])
    expect(has(prod), prod).toBe(true);
  for (const dev of ['vitest', 'typescript', 'eslint', '@temporalio/testing'])
    expect(has(dev), dev).toBe(false);
  expect(fs.existsSync(path.join(app, 'test'))).toBe(false);
});

// Independent processes: run them side by side.
test.concurrent.each(ENTRY_POINTS.map((e) => [e.args.join(' '), e] as [string, EntryPoint]))(
  'daybreak %s --help runs from the production install',
  async (_, entry) => {
    const { stdout } = await daybreak([...entry.args, '--help']);
    expect(stdout).toContain(`Usage: daybreak ${entry.args.join(' ')}`);
  },
);

test('the container health probe (bin/healthcheck.js) runs from the production install', async () => {
  const { stdout } = await run(process.execPath, ['bin/healthcheck.js', '--help'], {
    cwd: app,
    env: containerEnv(),
  });
  expect(stdout).toContain('--target <name>');
});

test.each(AWAITING_MERGE.map((e) => [e.args.join(' ')]))(
  'daybreak %s is still awaiting its branch (once merged, move it to ENTRY_POINTS)',
  async (command) => {
    // Commander answers `--help` of an unknown command with the top-level usage.
    const { stdout } = await daybreak([...command.split(' '), '--help']).catch(
      (err: { stdout: string }) => err,
    );
    expect(stdout).toContain('Usage: daybreak [options] [command]');
    expect(stdout).not.toContain(`Usage: daybreak ${command}`);
  },
);

async function pollerCount(address: string, taskQueue: string): Promise<number> {
  const connection = await Connection.connect({ address });
  try {
    const res = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // workflow tasks
    });
    return res.pollers?.length ?? 0;
  } finally {
    await connection.close();
  }
}

function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${log()}`)),
      timeoutMs,
    );
    const check = () => {
      if (pattern.test(log())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}:\n${log()}`));
    });
  });
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe.each(ENTRY_POINTS.filter((e) => e.start).map((e) => [e.args.join(' '), e] as [string, EntryPoint]))(
  'daybreak %s started for real',
  (_, entry) => {
    test('reaches polling, serves a run, drains on SIGTERM with exit code 0', async () => {
      const address = inject('temporalAddress');
      const taskQueue = `image-${randomUUID()}`;
      const env = containerEnv({
        TEMPORAL_ADDRESS: address,
        DAYBREAK_TASK_QUEUE: taskQueue,
        DAYBREAK_DUCKDB_MEMORY_LIMIT: '512MB',
        DAYBREAK_DUCKDB_THREADS: '1',
        DAYBREAK_MAX_CONCURRENT_ACTIVITIES: '2',
        METRICS_PORT: String(await freePort()),
        TEMPORAL_METRICS_PORT: String(await freePort()),
        API_PORT: String(await freePort()),
      });
      const child = spawn(process.execPath, ['bin/daybreak.js', ...entry.args], { cwd: app, env });
      children.push(child);
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      await waitForLine(child, entry.start!.ready, 150_000, () => stderr);
      // The server sees the worker poll its task queue.
      const deadline = Date.now() + 30_000;
      while ((await pollerCount(address, taskQueue)) === 0) {
        expect(Date.now() < deadline, `no poller on ${taskQueue}:\n${stderr}`).toBe(true);
        await new Promise((r) => setTimeout(r, 500));
      }
      if (entry.start!.healthcheck)
        await daybreak(['healthcheck', '--target', entry.start!.healthcheck], env);

      // A real run through this worker: the CLI's datagen and run, DuckDB in the activities.
      const data = path.join(work, 'sr');
      await daybreak(
        [
          'datagen',
          '--pipeline',
          'session-ranking',
          '--rows',
          '3000',
          '--users',
          '300',
          '--year',
          '2011',
          '--seed',
          '5',
          '--out',
          data,
        ],
        env,
      );
      const output = path.join(data, 'out');
      const { stdout } = await daybreak(
        [
          'run',
          'session-ranking',
          '--date',
          '2011-12-31',
          '--json',
          '--param',
          `activity=${path.join(data, 'user_activity')}`,
          '--param',
          `profile=${path.join(data, 'user_profile')}`,
          '--param',
          `output=${output}`,
        ],
        env,
      );
      const result = JSON.parse(stdout) as { inputRows: number; ranking: Record<string, string[]> };
      expect(result.inputRows).toBe(3000);
      expect(Object.keys(result.ranking)).toHaveLength(12);
      // The published manifest agrees with the files on disk, checksummed here independently.
      const manifest = JSON.parse(fs.readFileSync(path.join(output, '_SUCCESS'), 'utf8')) as {
        files: { name: string; bytes: number; sha256: string }[];
      };
      expect(manifest.files.map((f) => f.name).sort()).toEqual([
        expect.stringMatching(/^ranking-[0-9a-f]{10}\.json$/),
        expect.stringMatching(/^ranking-[0-9a-f]{10}\.parquet$/),
      ]);
      for (const f of manifest.files) {
        expect(sha256(path.join(output, f.name)), f.name).toBe(f.sha256);
        expect(fs.statSync(path.join(output, f.name)).size).toBe(f.bytes);
      }
      const jsonName = manifest.files.find((f) => f.name.endsWith('.json'))!.name;
      const json = JSON.parse(fs.readFileSync(path.join(output, jsonName), 'utf8')) as Record<
        string,
        string[]
      >;
      expect(json).toEqual(result.ranking);

      const signalled = Date.now();
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(45_000);
      expect(stderr).toMatch(/worker stopped/);
      expect(stderr).toContain(`(workflows: prebuilt ${path.join(app, 'workflow-bundle.js')})`);
    }, 300_000);
  },
);
