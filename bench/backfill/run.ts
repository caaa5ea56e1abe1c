// Benchmark (feeds BENCHMARKS.md "## backfill"): 30 dates of a 2 M-row session ranking, 2 at a
// time, through `daybreak backfill` (one parent workflow, the plan built from the manifests)
// against the same 30 runs started from one client process, 2 at a time (what a script of
// `daybreak run --date` calls does at best), in the same script on the same worker. Airflow
// 3.3.2 standalone's figure for the same 30 dates (31-33 s, issue 17) is printed beside them.
//
//   npm run bench:backfill
//   BENCH_ROWS=200000 BENCH_DATES=6 BENCH_NO_WRITE=1 npm run bench:backfill   (a quick look)
//
// Data is generated once into $DAYBREAK_CACHE_DIR/bench (outside the repo) and reused.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planFor, startBackfill } from '../../cli/commands/backfill.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { startDevServer } from '../../devstack/dev-server.js';
import { findOrBuildTemporalCli } from '../../devstack/temporal-cli.js';
import { loadConfig, type Config } from '../../lib/config.js';
import type { BackfillState } from '../../lib/contracts/backfill.js';
import { dateRange } from '../../lib/contracts/logical-date.js';
import { waitForRun } from '../../lib/runs.js';
import { readManifest } from '../../lib/storage/manifest.js';
import { connectClient } from '../../lib/temporal.js';
import { startRun } from '../../pipelines/runs.js';
import { writeWorkflowBundle } from '../../workers/bundle.js';

const env = process.env;
const ROWS = Number(env.BENCH_ROWS ?? 2_000_000);
const USERS = Number(env.BENCH_USERS ?? ROWS / 10);
const DATES = Number(env.BENCH_DATES ?? 30);
const PARALLEL = Number(env.BENCH_PARALLEL ?? 2);
const REPEAT = Number(env.BENCH_REPEAT ?? 2);
const SEED = 1;
const YEAR = 2025;
const CORES = os.availableParallelism();
const AIRFLOW = '31-33 s';
const REPO = path.resolve(import.meta.dirname, '..', '..');
const base = loadConfig();
const dataDir = path.join(
  base.DAYBREAK_CACHE_DIR,
  'bench',
  `session-ranking-r${ROWS}-u${USERS}-s${SEED}-y${YEAR}`,
);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-backfill-'));
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function ensureData(): Promise<void> {
  if (fs.existsSync(path.join(dataDir, '_COMPLETE'))) {
    log(`reusing ${dataDir}`);
    return;
  }
  log(`generating ${ROWS} sessions / ${USERS} users into ${dataDir} (once)`);
  await generateSessionRanking({ rows: ROWS, users: USERS, seed: SEED, out: dataDir, year: YEAR });
  fs.writeFileSync(path.join(dataDir, '_COMPLETE'), JSON.stringify({ rows: ROWS, users: USERS }));
}

/** A data root of its own whose raw/ is the generated data (each variant publishes its own outputs). */
function dataRoot(name: string): string {
  const root = path.join(work, name);
  fs.mkdirSync(root, { recursive: true });
  fs.symlinkSync(dataDir, path.join(root, 'raw'));
  return root;
}

/** The dates of one round: a year of its own per round and variant, so no run id repeats. */
function datesOf(round: number): string[] {
  const from = `${2060 + round}-01-01`;
  const to = new Date(Date.parse(`${from}T00:00:00Z`) + (DATES - 1) * 86_400_000).toISOString().slice(0, 10);
  return dateRange(from, to);
}

/** Every date published with the same rows (all runs read the same input), or the timing means nothing. */
async function checkOutputs(root: string, dates: string[], expectRows?: number): Promise<number> {
  const rows = new Set<number>();
  for (const d of dates) {
    const m = await readManifest(path.join(root, 'curated', 'session-ranking', `dt=${d}`));
    if (!m) throw new Error(`no published output for ${d} under ${root}`);
    rows.add(m.totals.rows);
  }
  if (rows.size !== 1 || (expectRows !== undefined && !rows.has(expectRows)))
    throw new Error(`outputs disagree: ${[...rows].join(', ')} rows (expected ${expectRows})`);
  return [...rows][0]!;
}

async function main(): Promise<void> {
  await ensureData();
  const binary = await findOrBuildTemporalCli({
    explicitPath: base.TEMPORAL_CLI,
    cacheDir: base.DAYBREAK_CACHE_DIR,
  });
  const server = await startDevServer({ binary, headless: true, logFile: path.join(work, 'temporal.log') });
  const bundle = path.join(work, 'workflow-bundle.js');
  await writeWorkflowBundle(bundle);
  const workerEnv = {
    ...env,
    DAYBREAK_WORKFLOW_BUNDLE: bundle,
    TEMPORAL_ADDRESS: server.address,
    DAYBREAK_TASK_QUEUE: 'bench-backfill',
    DAYBREAK_SCRATCH_DIR: path.join(work, 'scratch'),
    DAYBREAK_STATE_DIR: path.join(work, 'state'),
    METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
  };
  const roots = { warm: dataRoot('warm'), runs: dataRoot('runs'), backfill: dataRoot('backfill') };
  // Each variant's runs publish under its own data root: the worker takes the root from each run's
  // parameters, so one worker serves both.
  const worker = spawn(process.execPath, [path.join(REPO, 'bin/daybreak.js'), 'worker'], {
    cwd: REPO,
    env: { ...workerEnv, DAYBREAK_DATA_ROOT: roots.warm },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const configOf = (root: string): Config => loadConfig({ ...workerEnv, DAYBREAK_DATA_ROOT: root });
  const client = await connectClient(configOf(roots.warm));

  /** 30 `daybreak run` equivalents from one client, PARALLEL at a time. */
  const viaRuns = async (config: Config, dates: string[]) => {
    const queue = [...dates];
    const lane = async () => {
      for (let d = queue.shift(); d; d = queue.shift())
        await waitForRun(
          await startRun({ client, config, pipeline: 'session-ranking', runDate: d, rawParams: {} }),
        );
    };
    await Promise.all(Array.from({ length: PARALLEL }, lane));
  };
  /** `daybreak backfill session-ranking --from .. --to .. --reprocess missing --max-parallel 2`. */
  const viaBackfill = async (config: Config, dates: string[]) => {
    const request = {
      from: dates[0]!,
      to: dates.at(-1)!,
      reprocess: 'missing' as const,
      maxParallel: PARALLEL,
    };
    const plan = await planFor(
      'session-ranking',
      { ...request, downstream: false, param: {} },
      config,
      client,
    );
    if (plan.items.length !== dates.length)
      throw new Error(`planned ${plan.items.length} of ${dates.length} dates`);
    const handle = await startBackfill(client, config, 'session-ranking', request, plan);
    const state = (await handle.result()) as BackfillState;
    if (state.done !== dates.length)
      throw new Error(`backfill: ${JSON.stringify(state.items.filter((i) => i.error))}`);
  };

  const times = { runs: [] as number[], backfill: [] as number[] };
  try {
    log('warming up the worker (bundle, DuckDB, a first run)');
    await viaRuns(configOf(roots.warm), datesOf(0).slice(0, 2));
    const rows = await checkOutputs(roots.warm, datesOf(0).slice(0, 2));
    for (let round = 1; round <= REPEAT; round++) {
      for (const variant of ['runs', 'backfill'] as const) {
        const config = configOf(roots[variant]);
        const dates = datesOf(round * 2 + (variant === 'backfill' ? 1 : 0));
        const t0 = performance.now();
        await (variant === 'runs' ? viaRuns : viaBackfill)(config, dates);
        const ms = performance.now() - t0;
        await checkOutputs(roots[variant], dates, rows);
        times[variant].push(ms);
        log(`round ${round}: ${variant} ${(ms / 1000).toFixed(2)} s`);
      }
    }
    report(times);
  } finally {
    await client.connection.close();
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function report(times: { runs: number[]; backfill: number[] }): void {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const b = median(times.backfill);
  const r = median(times.runs);
  const text = [
    `### Run of ${new Date().toISOString().slice(0, 16)}Z`,
    '',
    `${DATES} dates of session-ranking over ${ROWS.toLocaleString('en-US')} sessions / ${USERS.toLocaleString('en-US')} users, ${PARALLEL} at a time, ` +
      `one worker process (default settings), ${CORES} cores, ${REPEAT} rounds (median shown). Load average at the end: ${load}.`,
    '',
    '| | wall (median) | wall (all rounds) |',
    '| --- | --- | --- |',
    `| \`daybreak backfill\` (one parent workflow) | ${s(b)} | ${times.backfill.map(s).join(', ')} |`,
    `| ${DATES} runs from one client process, ${PARALLEL} at a time | ${s(r)} | ${times.runs.map(s).join(', ')} |`,
    `| Airflow 3.3.2 standalone, same ${DATES === 30 ? '30 dates' : '30 dates (not this size)'} (issue 17, not re-run here) | ${AIRFLOW} | |`,
    '',
    `Backfill / runs from one client: ${(b / r).toFixed(2)}x. Target: under 10 s for 30 dates of 2 M rows.`,
    '',
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (env.BENCH_NO_WRITE !== '1') appendSection(text);
}

/** Appends the run under the backfill section of BENCHMARKS.md (created when missing). */
function appendSection(text: string): void {
  const file = path.join(REPO, 'BENCHMARKS.md');
  const heading = '## backfill';
  let doc = fs.readFileSync(file, 'utf8');
  if (!doc.includes(`\n${heading}\n`))
    doc = `${doc.trimEnd()}\n\n${heading}\n\nCommand: \`npm run bench:backfill\` (env: BENCH_ROWS, BENCH_USERS, BENCH_DATES, BENCH_PARALLEL, BENCH_REPEAT).\n`;
  const start = doc.indexOf(`\n${heading}\n`) + 1;
  const next = doc.indexOf('\n## ', start + heading.length);
  const end = next === -1 ? doc.length : next;
  doc = `${doc.slice(0, end).trimEnd()}\n\n${text}\n${doc.slice(end)}`;
  fs.writeFileSync(file, doc.endsWith('\n') ? doc : `${doc}\n`);
}

await main();
