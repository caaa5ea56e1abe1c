// `daybreak logs <pipeline> --date D [--run R] [--step S] [--attempt N] [--follow] [--json]`: the
// per-attempt logs a run's activities left under the data root (`_logs/`, lib/logs/). Without
// --step it lists the run's steps and their attempts; with one it prints a step's last attempt
// (or --attempt N); --follow tails a running attempt until it ends.
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, type Config } from '../../lib/config.js';
import { formatDuration } from '../../lib/durations.js';
import { dateLogsPrefix } from '../../lib/logs/layout.js';
import {
  listAttemptFiles,
  readAttempt,
  readDateLogs,
  type LoggedAttempt,
  type LoggedRun,
} from '../../lib/logs/read.js';
import { formatLogLine, type LogLine } from '../../lib/logs/records.js';
import { isGcsUri } from '../../lib/storage/uri.js';
import { ParamError } from '../../pipelines/types.js';
import { parseDateOption } from '../params.js';
import { formatTable } from '../table.js';

export interface LogsOptions {
  date: string;
  run?: string;
  step?: string;
  attempt?: number;
  follow?: boolean;
  json?: boolean;
  /** How often --follow re-reads the log (default 1 s). */
  pollMs?: number;
}

type Write = (text: string) => void;

function statusOf(a: LoggedAttempt): string {
  return a.log.end?.status ?? 'running';
}

function durationOf(a: LoggedAttempt): string {
  if (a.log.end) return formatDuration(a.log.end.durationMs);
  const started = Date.parse(a.log.header?.startedAt ?? '');
  return Number.isFinite(started) ? `${formatDuration(Date.now() - started)} so far` : '';
}

/** The run asked for, or the newest of the date. */
function pickRun(runs: LoggedRun[], pipeline: string, opts: LogsOptions): LoggedRun {
  if (opts.run === undefined) return runs[runs.length - 1]!;
  const run = runs.find((r) => r.runId === opts.run);
  if (run) return run;
  throw new ParamError(
    `${pipeline} on ${opts.date} has no logs of run ${opts.run}; its runs: ${runs.map((r) => r.runId).join(', ')}`,
  );
}

/** Steps in the order they first started. */
function stepsOf(run: LoggedRun): Map<string, LoggedAttempt[]> {
  const steps = new Map<string, LoggedAttempt[]>();
  for (const a of run.attempts) steps.set(a.step, [...(steps.get(a.step) ?? []), a]);
  for (const attempts of steps.values()) attempts.sort((a, b) => a.attempt - b.attempt);
  return steps;
}

/** `--step`: a step's full name (`mapShard.5`), else its activity type or id when that names one step. */
function pickStep(steps: Map<string, LoggedAttempt[]>, pipeline: string, opts: LogsOptions): LoggedAttempt[] {
  const wanted = opts.step!;
  const exact = steps.get(wanted);
  if (exact) return exact;
  const matches = [...steps.entries()].filter(([, attempts]) => {
    const header = attempts[0]!.log.header;
    return header?.activityType === wanted || header?.activityId === wanted;
  });
  if (matches.length === 1) return matches[0]![1];
  const names = (matches.length ? matches : [...steps.entries()]).map(([name]) => name).join(', ');
  throw new ParamError(
    matches.length
      ? `--step ${wanted} matches ${matches.length} steps of ${pipeline} on ${opts.date}: ${names}; name one`
      : `${pipeline} on ${opts.date} has no step ${wanted}; its steps: ${names}`,
  );
}

function listing(pipeline: string, date: string, runs: LoggedRun[], run: LoggedRun): string {
  const rows = [...stepsOf(run).entries()].flatMap(([step, attempts]) =>
    attempts.map((a) => [
      step,
      String(a.attempt),
      statusOf(a),
      a.log.header?.startedAt ?? '',
      durationOf(a),
      String(a.log.lines.length),
    ]),
  );
  const others =
    runs.length > 1
      ? ` (the newest of ${runs.length} runs of this date; --run RUN for another: ${runs.map((r) => r.runId).join(', ')})`
      : '';
  return [
    `${pipeline} ${date} run ${run.runId}${others}`,
    formatTable(['step', 'attempt', 'status', 'started', 'duration', 'lines'], rows),
    `print one: daybreak logs ${pipeline} --date ${date} --step <step> [--attempt N]`,
  ].join('\n');
}

function headerLine(a: LoggedAttempt, attempts: number): string {
  const h = a.log.header;
  const where = h ? ` on ${h.worker}, started ${h.startedAt}` : '';
  return `# ${h?.pipeline ?? ''} ${h?.runDate ?? ''} run ${a.runId} step ${a.step} attempt ${a.attempt} of ${attempts}${where}`;
}

function endLine(a: LoggedAttempt): string {
  const end = a.log.end;
  if (!end) return '# running (no end yet: --follow tails it)';
  return `# ${end.status} after ${formatDuration(end.durationMs)}${end.error ? `: ${end.error}` : ''}`;
}

function printLines(lines: LogLine[], after: number, json: boolean | undefined, write: Write): number {
  let last = after;
  for (const line of lines) {
    if (line.n <= after) continue;
    write(`${json ? JSON.stringify(line) : formatLogLine(line)}\n`);
    last = line.n;
  }
  return last;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Re-reads a running attempt's log, printing what is new, until it ends or a later attempt starts. */
async function follow(
  root: string,
  pipeline: string,
  a: LoggedAttempt,
  printed: number,
  opts: LogsOptions,
  write: Write,
): Promise<void> {
  let current = a;
  let last = printed;
  while (!current.log.end) {
    await sleep(opts.pollMs ?? 1_000);
    current = await readAttempt(current);
    last = printLines(current.log.lines, last, opts.json, write);
    if (current.log.end) break;
    const files = await listAttemptFiles(root, pipeline, opts.date);
    const later = files.find((f) => f.runId === a.runId && f.step === a.step && f.attempt > a.attempt);
    if (later) {
      write(
        `# attempt ${a.attempt} ended without its end record (its worker was lost); attempt ${later.attempt} started: --attempt ${later.attempt}\n`,
      );
      return;
    }
  }
  write(`${opts.json ? JSON.stringify(current.log.end) : endLine(current)}\n`);
}

export async function showLogs(
  config: Config,
  pipeline: string,
  opts: LogsOptions,
  write: Write,
): Promise<void> {
  const root = config.DAYBREAK_DATA_ROOT;
  if (isGcsUri(root)) (await import('../../lib/storage/gcs.js')).registerConfiguredGcs(config);
  if (opts.attempt !== undefined && opts.step === undefined) throw new ParamError('--attempt needs --step');
  const runs = await readDateLogs(root, pipeline, opts.date);
  if (!runs.length)
    throw new ParamError(
      `no attempt logs for ${pipeline} on ${opts.date} under ${dateLogsPrefix(root, pipeline, opts.date)}: no run of it started an activity yet, or its logs were removed (DAYBREAK_LOG_RETENTION_DAYS); check the pipeline name and --date`,
    );
  const run = pickRun(runs, pipeline, opts);
  if (opts.step === undefined) {
    if (opts.json)
      write(
        `${JSON.stringify(
          run.attempts.map(({ log, ...file }) => ({
            ...file,
            header: log.header,
            end: log.end,
            lines: log.lines.length,
          })),
          null,
          2,
        )}\n`,
      );
    else write(`${listing(pipeline, opts.date, runs, run)}\n`);
    return;
  }
  const attempts = pickStep(stepsOf(run), pipeline, opts);
  const chosen =
    opts.attempt === undefined
      ? attempts[attempts.length - 1]!
      : attempts.find((a) => a.attempt === opts.attempt);
  if (!chosen)
    throw new ParamError(
      `step ${attempts[0]!.step} of ${pipeline} on ${opts.date} has no attempt ${opts.attempt}; its attempts: ${attempts.map((a) => a.attempt).join(', ')}`,
    );
  if (opts.json) write(`${JSON.stringify(chosen.log.header)}\n`);
  else write(`${headerLine(chosen, attempts.length)}\n`);
  const printed = printLines(chosen.log.lines, 0, opts.json, write);
  if (opts.follow && !chosen.log.end) return follow(root, pipeline, chosen, printed, opts, write);
  write(`${opts.json ? JSON.stringify(chosen.log.end ?? null) : endLine(chosen)}\n`);
}

function parseAttempt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected an attempt number 1, 2, ..., got ${JSON.stringify(value)}`);
  return n;
}

export function logsCommand(): Command {
  return new Command('logs')
    .description(
      "a run's per-attempt activity logs (kept under the data root's _logs/): list its steps, print one, follow it",
    )
    .argument('<pipeline>', 'pipeline name')
    .requiredOption('--date <date>', 'logical date YYYY-MM-DD', parseDateOption)
    .option('--run <runId>', 'a run of that date other than the newest')
    .option('--step <step>', 'a step (`<activity>.<id>` as listed, or an activity type that names one step)')
    .option('--attempt <n>', 'an attempt of the step (default its last)', parseAttempt)
    .option('--follow', 'keep printing a running attempt until it ends')
    .option('--json', 'records as JSON (one per line for an attempt)')
    .action(async (pipeline: string, opts: LogsOptions) => {
      await showLogs(loadConfig(), pipeline, opts, (text) => process.stdout.write(text));
    });
}
