// bench:cli — how long a `daybreak` command takes from the shell to its answer on a running server
// (issue 13.5: `daybreak status` and `daybreak run --wait` of a tiny pipeline within 0.7 s wall).
// One dev server and worker in this process; every command is a fresh child process, timed from
// spawn to exit: the compiled CLI (what bin/daybreak.js runs), the same script run through its
// `#!` line (what `daybreak` on PATH runs), the same through `npx`, and the
// baseline of the same script, the TypeScript sources through tsx (DAYBREAK_COMPILE=0, how the CLI
// ran before). For `run --wait` the server's own share (workflow start to close) is shown beside
// it. Prints its table; it feeds BENCHMARKS.md "CLI latency (bench:cli)".
//
//   npm run bench:cli -- [--repeat 5] [--rows 2000]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { startEmbedded } from '../../devstack/embedded.js';
import { loadConfig } from '../../lib/config.js';

const { values: args } = parseArgs({
  options: {
    repeat: { type: 'string', default: '5' },
    rows: { type: 'string', default: '2000' },
  },
});
const REPEAT = Number(args.repeat);
const REPO = path.resolve(import.meta.dirname, '..', '..');
const TARGET_MS = 700;
const log = (s: string) => process.stderr.write(`[bench:cli] ${s}\n`);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'daybreak-bench-cli-'));
const config = {
  ...loadConfig(),
  DAYBREAK_STATE_DIR: path.join(work, 'state'),
  DAYBREAK_DATA_ROOT: path.join(work, 'data'),
  DAYBREAK_SCRATCH_DIR: path.join(work, 'scratch'),
  DAYBREAK_TASK_QUEUE: 'bench-cli',
};
log(`generating ${args.rows} session-ranking rows, starting a dev server and a worker`);
const data = await generateSessionRanking({ rows: Number(args.rows), users: 200, seed: 1, out: work });
const embedded = await startEmbedded({ config, persistent: false, log });
const env = {
  ...process.env,
  TEMPORAL_ADDRESS: embedded.config.TEMPORAL_ADDRESS,
  DAYBREAK_TASK_QUEUE: config.DAYBREAK_TASK_QUEUE,
  DAYBREAK_STATE_DIR: config.DAYBREAK_STATE_DIR,
  DAYBREAK_DATA_ROOT: config.DAYBREAK_DATA_ROOT,
  DAYBREAK_SCRATCH_DIR: config.DAYBREAK_SCRATCH_DIR,
};

type How = 'compiled' | 'direct' | 'npx' | 'tsx';
const HOW: Record<How, { command: string; args: string[]; env: Record<string, string> }> = {
  compiled: { command: process.execPath, args: [path.join(REPO, 'bin', 'daybreak.js')], env: {} },
  // The script itself through its #! line: what `daybreak` on PATH (npm link, an alias) runs.
  direct: { command: path.join(REPO, 'bin', 'daybreak.js'), args: [], env: {} },
  npx: { command: 'npx', args: ['daybreak'], env: {} },
  tsx: {
    command: process.execPath,
    args: [path.join(REPO, 'bin', 'daybreak.js')],
    env: { DAYBREAK_COMPILE: '0' },
  },
};

/** Spawned asynchronously: this process's event loop runs the worker that serves the command. */
function timed(how: How, cliArgs: string[]): Promise<number> {
  const { command, args: pre, env: extra } = HOW[how];
  const started = performance.now();
  const child = spawn(command, [...pre, ...cliArgs], { cwd: REPO, env: { ...env, ...extra } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  return new Promise((resolve, reject) =>
    child.once('close', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`daybreak ${cliArgs.join(' ')} (${how}) failed:\n${stderr}`)),
    ),
  );
}

let day = 0;
/** A real run each time: a new logical date (a date already done would answer "up to date"). */
function runArgs(): [string[], string] {
  const date = new Date(Date.UTC(2025, 0, 1) + day++ * 86_400_000).toISOString().slice(0, 10);
  return [
    [
      'run',
      'session-ranking',
      '--wait',
      '--date',
      date,
      '--param',
      `activity=${data.activityDir}`,
      '--param',
      `profile=${data.profileDir}`,
      '--param',
      `output=${path.join(work, 'out', date)}`,
    ],
    date,
  ];
}

async function serverMs(date: string): Promise<number> {
  const info = await embedded.client.workflow.getHandle(`session-ranking/${date}`).describe();
  return info.closeTime!.getTime() - info.startTime.getTime();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: { command: string; how: How; ms: number; server?: number }[] = [];
try {
  // Warm: the compiled build exists and the worker has run the pipeline once.
  log(
    `warming up: ${(await timed('compiled', ['--help'])).toFixed(0)} ms for --help (builds the CLI if needed)`,
  );
  log(`warming up: ${(await timed('compiled', runArgs()[0])).toFixed(0)} ms for a first run --wait`);
  for (const how of ['compiled', 'direct', 'npx', 'tsx'] as How[]) {
    const status: number[] = [];
    const run: number[] = [];
    const server: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      status.push(await timed(how, ['status', '--days', '2']));
      const [cliArgs, date] = runArgs();
      run.push(await timed(how, cliArgs));
      server.push(await serverMs(date));
    }
    rows.push({ command: 'status', how, ms: median(status) });
    rows.push({ command: 'run session-ranking --wait', how, ms: median(run), server: median(server) });
    log(`${how}: status ${median(status).toFixed(0)} ms, run --wait ${median(run).toFixed(0)} ms`);
  }
} finally {
  await embedded.stop();
  fs.rmSync(work, { recursive: true, force: true });
}

const HOW_LABEL: Record<How, string> = {
  compiled: 'node bin/daybreak.js (compiled)',
  direct: 'bin/daybreak.js on PATH (compiled)',
  npx: 'npx daybreak (compiled)',
  tsx: 'node bin/daybreak.js, DAYBREAK_COMPILE=0 (tsx, baseline)',
};
const baseline = (command: string) => rows.find((r) => r.command === command && r.how === 'tsx')!.ms;
const lines = [
  `CLI latency (bench:cli): median of ${REPEAT} per row, wall time from spawn to exit, on a running`,
  `dev server; session-ranking on ${args.rows} rows; target ${TARGET_MS} ms. Feeds BENCHMARKS.md "CLI latency (bench:cli)".`,
  '',
  '| command | how | wall | server share | vs tsx | target |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| daybreak ${r.command} | ${HOW_LABEL[r.how]} | ${r.ms.toFixed(0)} ms | ${r.server === undefined ? '' : `${r.server} ms`} | ${(r.ms / baseline(r.command)).toFixed(2)}x | ${r.how === 'tsx' ? '' : r.ms <= TARGET_MS ? 'met' : 'missed'} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
