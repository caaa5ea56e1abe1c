// What the pipeline benchmarks share: session-ranking's generated data cached outside the repo, a
// dev server with one `daybreak worker` process on a prebuilt bundle (as in the image), and the
// worker's CPU time and peak RSS read from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { findOrBuildTemporalCli } from '../../devstack/temporal-cli.js';
import type { Config } from '../../lib/config.js';
import { writeWorkflowBundle } from '../../workers/bundle.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');

export const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export interface SessionData {
  rows: number;
  users: number;
  seed: number;
  year: number;
}

/** session-ranking's generator output for `data`, generated once under `<cacheDir>/bench`; its folder. */
export async function ensureSessionData(cacheDir: string, data: SessionData): Promise<string> {
  const { rows, users, seed, year } = data;
  const dir = path.join(cacheDir, 'bench', `session-ranking-r${rows}-u${users}-s${seed}-y${year}`);
  if (fs.existsSync(path.join(dir, '_COMPLETE'))) {
    log(`reusing ${dir}`);
    return dir;
  }
  log(`generating ${rows} sessions / ${users} users into ${dir} (once)`);
  const res = await generateSessionRanking({ rows, users, seed, out: dir, year });
  fs.writeFileSync(path.join(dir, '_COMPLETE'), JSON.stringify({ ...data, files: res.activityFiles }));
  return dir;
}

/** utime+stime (ms) and peak RSS (kB) of a process, from /proc. */
export function procStats(pid: number): { cpuMs: number; hwmKb: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hz = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs: (ticks / hz) * 1000, hwmKb: Number(hwm?.[1] ?? 0) };
}

/** Resets a process's peak RSS (VmHWM), so each run reports its own peak. */
export function resetPeak(pid: number): void {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

export interface BenchWorker {
  server: DevServer;
  worker: ChildProcess;
  /** The environment the worker runs with (TEMPORAL_ADDRESS, task queue, scratch, ...). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * A headless dev server and one `daybreak worker` process on a prebuilt workflow bundle, with
 * `extraEnv` (task queue, threads, concurrency, data root) on top of this process's environment.
 */
export async function startBenchWorker(
  config: Config,
  work: string,
  extraEnv: Record<string, string>,
  /** Node flags for the worker (`--cpu-prof` and the like). */
  nodeArgs: string[] = [],
): Promise<BenchWorker> {
  const binary = await findOrBuildTemporalCli({
    explicitPath: config.TEMPORAL_CLI,
    cacheDir: config.DAYBREAK_CACHE_DIR,
  });
  const server = await startDevServer({ binary, headless: true, logFile: path.join(work, 'temporal.log') });
  const bundle = path.join(work, 'workflow-bundle.js');
  await writeWorkflowBundle(bundle);
  const env = {
    ...process.env,
    DAYBREAK_WORKFLOW_BUNDLE: bundle,
    TEMPORAL_ADDRESS: server.address,
    DAYBREAK_SCRATCH_DIR: path.join(work, 'scratch'),
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    ...extraEnv,
  };
  const worker = spawn(process.execPath, [...nodeArgs, path.join(REPO, 'bin/daybreak.js'), 'worker'], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    server,
    worker,
    env,
    async stop() {
      worker.kill('SIGTERM');
      if (worker.exitCode === null) await new Promise((r) => worker.once('exit', r));
      await server.stop();
    },
  };
}

/**
 * Appends `text` at the end of BENCHMARKS.md's `heading` section (created with `intro` when
 * missing). A section ends at the next `## ` heading or at another bench's `<!-- marker -->`.
 */
export function appendBenchmarkSection(heading: string, intro: string, text: string): void {
  const file = path.join(REPO, 'BENCHMARKS.md');
  let doc = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  if (!doc.includes(heading)) doc = `${doc.trimEnd()}\n\n${heading}\n\n${intro}\n`;
  const start = doc.indexOf(heading);
  const ends = ['\n## ', '\n<!-- ']
    .map((m) => doc.indexOf(m, start + heading.length))
    .filter((i) => i !== -1);
  const end = ends.length ? Math.min(...ends) : doc.length;
  doc = `${doc.slice(0, end).trimEnd()}\n\n${text}\n${doc.slice(end)}`;
  fs.writeFileSync(file, doc.endsWith('\n') ? doc : `${doc}\n`);
}
