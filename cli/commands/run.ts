// `daybreak run <pipeline>`: start `<pipeline>/<date>`, optionally wait with progress, print JSON.
import { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../lib/config.js';
import { PIPELINES } from '../../pipelines/index.js';
import { paramHelp } from '../../pipelines/params.js';
import { collectParam, parseDateOption, today } from '../params.js';

interface RunOptions {
  date: string;
  param: Record<string, string>;
  wait: boolean;
  json: boolean;
  embedded: boolean;
}

async function execute(pipeline: string, opts: RunOptions): Promise<number> {
  const baseConfig = loadConfig();
  // Check the pipeline and its parameters before starting anything.
  PIPELINES.buildParams(pipeline, opts.param, { config: baseConfig, runDate: opts.date });
  const [
    { describeRunFailure, waitForRun },
    { startRun },
    { connectClient, webUiRunUrl },
    { runProgressBar },
  ] = await Promise.all([
    import('../../lib/runs.js'),
    import('../../pipelines/runs.js'),
    import('../../lib/temporal.js'),
    import('../progress-bar.js'),
  ]);
  let client: Client;
  let config: Config = baseConfig;
  let stop: () => Promise<void>;
  if (opts.embedded) {
    process.stderr.write('daybreak: starting an embedded Temporal dev server and worker for this run\n');
    const { startEmbedded } = await import('../../devstack/embedded.js');
    const embedded = await startEmbedded({ config: baseConfig, persistent: false });
    ({ client, config } = embedded);
    stop = embedded.stop;
  } else {
    client = await connectClient(baseConfig);
    stop = () => client.connection.close();
  }
  try {
    const handle = await startRun({ client, config, pipeline, runDate: opts.date, rawParams: opts.param });
    const url = webUiRunUrl(config, handle.workflowId, handle.firstExecutionRunId);
    process.stderr.write(`daybreak: started ${handle.workflowId} (run ${handle.firstExecutionRunId})\n`);
    if (!opts.embedded) process.stderr.write(`daybreak: ${url}\n`);
    if (!opts.wait && !opts.json && !opts.embedded) return 0;
    const bar = runProgressBar(handle.workflowId);
    try {
      const result = await waitForRun(handle, bar ? (p) => bar.update(p) : undefined);
      bar?.stop(true);
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else
        process.stderr.write(
          `daybreak: ${handle.workflowId} completed\n${JSON.stringify(result, null, 2)}\n`,
        );
      return 0;
    } catch (err) {
      bar?.stop();
      process.stderr.write(`daybreak: ${handle.workflowId} failed: ${describeRunFailure(err)}\n`);
      return 1;
    }
  } finally {
    await stop();
  }
}

export function runCommand(): Command {
  return new Command('run')
    .description('start a pipeline run <pipeline>/<date>')
    .argument('<pipeline>', `one of: ${PIPELINES.names().join(', ')}`)
    .option('--date <YYYY-MM-DD>', 'logical date of the run', parseDateOption, today())
    .option('--param <key=value>', 'pipeline parameter (repeatable)', collectParam, {})
    .option('--wait', 'wait for the result, showing progress', false)
    .option('--json', 'wait and print the workflow result as JSON on stdout (nothing else there)', false)
    .option('--embedded', 'start an ephemeral dev server and in-process worker for this run only', false)
    .addHelpText(
      'after',
      `\nPipelines and their parameters (daybreak pipelines show <name> for more):\n${PIPELINES.pipelines
        .map(
          (p) =>
            `  ${p.name}: ${p.description}\n${paramHelp(p)
              .map((h) => `    ${h.name}: ${h.description}${h.default ? `; default ${h.default}` : ''}`)
              .join('\n')}`,
        )
        .join('\n')}\n`,
    )
    .action(async (pipeline: string, opts: RunOptions) => {
      process.exitCode = await execute(pipeline, opts);
    });
}
