// `daybreak daily`: run the DAG of one logical date now (outside its schedule), e.g. to re-run a
// date: only what failed runs again, `--rerun stale` also what is stale and its downstream,
// `--rerun all` everything.
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../lib/config.js';
import { ParamError } from '../../pipelines/index.js';
import { commandCatalogue } from '../catalogue.js';
import { compileSchedule, narrowSchedule } from '../../schedules/compile.js';
import { SCHEDULES } from '../../schedules/definitions/index.js';
import {
  DAILY_PIPELINE,
  type DailyInput,
  type DailyResult,
  type RerunMode,
} from '../../lib/contracts/daily.js';
import { runWorkflowId } from '../../lib/contracts/run-id.js';
import { runSearchAttributes } from '../../lib/contracts/search-attributes.js';
import { parseDateOption, today } from '../params.js';
import { formatDuration } from '../../lib/durations.js';
import { formatTable } from '../table.js';

interface DailyOptions {
  date: string;
  schedule: string;
  rerun: RerunMode;
  pipelines?: string[];
  wait: boolean;
  json: boolean;
}

function parseRerun(value: string): RerunMode {
  if (value !== 'failed' && value !== 'stale' && value !== 'all')
    throw new InvalidArgumentError('expected failed, stale or all');
  return value;
}

function printOutcomes(result: DailyResult) {
  process.stderr.write(
    `${formatTable(
      ['pipeline', 'workflow id', 'outcome', 'duration', 'detail'],
      result.outcomes.map((o) => [
        o.pipeline,
        o.workflowId,
        o.status,
        o.durationMs === undefined ? '-' : formatDuration(o.durationMs),
        o.error ? `${o.error.type}: ${o.error.message}` : (o.reason ?? ''),
      ]),
    )}\n`,
  );
}

export function dailyCommand(): Command {
  return new Command('daily')
    .description('run the daily DAG for one logical date now (re-runs only what failed unless --rerun all)')
    .option('--date <YYYY-MM-DD>', 'logical date', parseDateOption, today())
    .option(
      '--schedule <name>',
      'schedule definition whose pipelines, parameters and sensors to use',
      'daily',
    )
    .option(
      '--rerun <failed|stale|all>',
      'failed: leave completed, published pipelines alone; stale: also re-run what was published on inputs republished since, and everything downstream of it; all: run everything',
      parseRerun,
      'failed',
    )
    .option(
      '--pipelines <a,b>',
      'run only these pipelines (an upstream left out is waited for: a sensor on its output)',
      (v: string) =>
        v
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
    )
    .option('--wait', 'wait, showing progress, and print each pipeline outcome', false)
    .option('--json', 'wait and print the DAG result as JSON on stdout', false)
    .action(async (opts: DailyOptions) => {
      const config = loadConfig();
      const def = SCHEDULES.find((s) => s.name === opts.schedule);
      if (!def)
        throw new ParamError(
          `no schedule definition ${opts.schedule}; known: ${SCHEDULES.map((s) => s.name).join(', ')}`,
        );
      // --pipelines narrows the schedule's selection, with the parameters and sensors of those only.
      const compiled = compileSchedule(narrowSchedule(def, opts.pipelines), {
        config,
        pipelines: (await commandCatalogue(config)).pipelines,
      });
      const input: DailyInput = {
        ...compiled.options.action.args![0]!,
        runDate: opts.date,
        rerun: opts.rerun,
      };
      const [
        { WorkflowFailedError },
        { ApplicationFailure },
        { describeRunFailure, waitForRun },
        { connectClient, webUiRunUrl },
        { runProgressBar },
      ] = await Promise.all([
        import('@temporalio/client'),
        import('@temporalio/common'),
        import('../../lib/runs.js'),
        import('../../lib/temporal.js'),
        import('../progress-bar.js'),
      ]);
      const client = await connectClient(config);
      try {
        const handle = await client.workflow.start(DAILY_PIPELINE, {
          taskQueue: config.DAYBREAK_TASK_QUEUE,
          workflowId: runWorkflowId(DAILY_PIPELINE, opts.date),
          args: [input],
          memo: compiled.options.action.memo,
          typedSearchAttributes: runSearchAttributes(DAILY_PIPELINE, opts.date),
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
        process.stderr.write(
          `daybreak: started ${handle.workflowId}: ${webUiRunUrl(config, handle.workflowId, handle.firstExecutionRunId)}\n`,
        );
        if (!opts.wait && !opts.json) return;
        const bar = runProgressBar(handle.workflowId);
        let result: DailyResult;
        try {
          result = await waitForRun<DailyResult>(handle, bar ? (p) => bar.update(p) : undefined);
        } catch (err) {
          process.exitCode = 1;
          const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
          if (!(cause instanceof ApplicationFailure) || !cause.details?.[0]) {
            bar?.stop();
            process.stderr.write(`daybreak: ${handle.workflowId} failed: ${describeRunFailure(err)}\n`);
            return;
          }
          result = cause.details[0] as DailyResult;
        }
        bar?.stop(process.exitCode !== 1);
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        printOutcomes(result);
      } finally {
        await client.connection.close();
      }
    });
}
