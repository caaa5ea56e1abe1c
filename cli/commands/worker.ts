// `daybreak worker`: run a worker until SIGINT/SIGTERM, then drain and exit.
import { Command } from 'commander';
import { loadConfig } from '../../lib/config.js';
import { commandCatalogue } from '../catalogue.js';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a Daybreak worker (drains on SIGTERM)')
    .option('--task-queue <name>', 'task queue to poll (default DAYBREAK_TASK_QUEUE)')
    .action(async (opts: { taskQueue?: string }) => {
      const config = loadConfig();
      const [{ startMetricsServer, seedLastSuccess }, { createWorker, workerIdentity }] = await Promise.all([
        import('../../workers/metrics-server.js'),
        import('../../workers/worker.js'),
      ]);
      // SQL pipelines need no catalogue here (their runs carry the definition): the files present at
      // start only name the metric labels and the last-success seeds.
      const catalogue = await commandCatalogue(config);
      const worker = await createWorker({ config, taskQueue: opts.taskQueue, catalogue });
      const metrics = config.METRICS_PORT === 0 ? undefined : await startMetricsServer(config);
      if (metrics) {
        const seeded = await seedLastSuccess(config, catalogue);
        process.stderr.write(
          `daybreak: metrics on ${config.METRICS_HOST}:${metrics.port}/metrics (last success seeded for ${Object.keys(seeded).length} pipeline(s))\n`,
        );
      }
      process.stderr.write(
        `daybreak: worker ${workerIdentity(config)} polling ${opts.taskQueue ?? config.DAYBREAK_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS} (workflows: ${config.DAYBREAK_WORKFLOW_BUNDLE ? `prebuilt ${config.DAYBREAK_WORKFLOW_BUNDLE}` : 'bundled at start'})\n`,
      );
      await worker.run();
      await metrics?.close();
      // Pooled SMTP connections of sent alerts would keep the process alive until their socket
      // timeout (~30 s after "worker stopped").
      const { closeEmailTransports } = await import('../../alerts/email.js');
      closeEmailTransports();
      process.stderr.write('daybreak: worker stopped\n');
    });
}
