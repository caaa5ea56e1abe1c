// `daybreak worker`: run a worker until SIGINT/SIGTERM, then drain and exit.
import { Command } from 'commander';
import { loadConfig } from '../../lib/config.js';
import { createWorker, workerIdentity } from '../../workers/worker.js';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a Daybreak worker (drains on SIGTERM)')
    .option('--task-queue <name>', 'task queue to poll (default DAYBREAK_TASK_QUEUE)')
    .action(async (opts: { taskQueue?: string }) => {
      const config = loadConfig();
      const worker = await createWorker({ config, taskQueue: opts.taskQueue });
      process.stderr.write(
        `daybreak: worker ${workerIdentity(config)} polling ${opts.taskQueue ?? config.DAYBREAK_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}\n`,
      );
      await worker.run();
      process.stderr.write('daybreak: worker stopped\n');
    });
}
