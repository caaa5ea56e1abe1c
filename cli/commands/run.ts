// `daybreak run <pipeline>`: start `<pipeline>/<date>`, optionally wait with progress, print JSON.
import path from 'node:path';
import { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../lib/config.js';
import { PIPELINES, ParamError } from '../../pipelines/index.js';
import { earlierSqlDefinition, loadCatalogue, withSqlDefinition } from '../../pipelines/sql.js';
import { paramHelp } from '../../pipelines/params.js';
import { collectParam, parseDateOption, today } from '../params.js';

interface RunOptions {
  date: string;
  param: Record<string, string>;
  wait: boolean;
  json: boolean;
  embedded: boolean;
  asOfRun?: string;
}

async function execute(pipeline: string, opts: RunOptions): Promise<number> {
  const baseConfig = loadConfig();
  const loaded = await loadCatalogue(baseConfig);
  const broken = loaded.errors.find((e) => path.basename(e.file, '.sql') === pipeline);
  if (broken && !loaded.catalogue.has(pipeline)) throw new ParamError(broken.message);
  let catalogue = loaded.catalogue;
  if (opts.asOfRun) {
    // Repeat the SQL of an earlier run (the file may have changed since): its definition replaces today's.
    const { connectClient } = await import('../../lib/temporal.js');
    const client = await connectClient(baseConfig);
    try {
      const earlier = await earlierSqlDefinition(client, pipeline, opts.asOfRun);
      catalogue = withSqlDefinition(loaded.catalogue, earlier);
      process.stderr.write(
        `daybreak: repeating the SQL of run ${opts.asOfRun} (${earlier.file}, sha256 ${earlier.digest.slice(0, 12)})\n`,
      );
    } finally {
      await client.connection.close();
    }
  }
  // Check the pipeline and its parameters before starting anything.
  catalogue.buildParams(pipeline, opts.param, { config: baseConfig, runDate: opts.date });
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
    const handle = await startRun({
      client,
      config,
      pipeline,
      runDate: opts.date,
      rawParams: opts.param,
      catalogue,
    });
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
    .option(
      '--as-of-run <run-id>',
      "SQL pipelines: run the SQL an earlier run of this pipeline ran (its run id), not today's file",
    )
    .addHelpText(
      'after',
      `\nPipelines and their parameters (daybreak pipelines show <name> for more):\n${PIPELINES.pipelines
        .map(
          (p) =>
            `  ${p.name}: ${p.description}\n${paramHelp(p)
              .map((h) => `    ${h.name}: ${h.description}${h.default ? `; default ${h.default}` : ''}`)
              .join('\n')}`,
        )
        .join('\n')}\n  SQL pipelines (the *.sql files of DAYBREAK_PIPELINES_DIR): daybreak pipelines list\n`,
    )
    .action(async (pipeline: string, opts: RunOptions) => {
      process.exitCode = await execute(pipeline, opts);
    });
}
