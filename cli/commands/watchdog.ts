// `daybreak watchdog install|remove|check`: the Temporal Schedule that runs the watchdog workflow,
// which alerts when a task queue has no live worker. Run the watchdog on a task queue served by
// workers other than those it watches (a dedicated `--task-queue`), or it dies with them; the
// Prometheus rule DaybreakNoWorkers covers that case too.
import { Command } from 'commander';
import { loadConfig, type Config } from '../../lib/config.js';
import type { QueueHealth, WatchdogInput } from '../../activities/alerts/types.js';

/** A client for `config`; the SDK is loaded when a subcommand runs rather than for `--help`. */
async function connect(config: Config) {
  const { connectClient } = await import('../../lib/temporal.js');
  return connectClient(config);
}

export const WATCHDOG_SCHEDULE_ID = 'daybreak-watchdog';

function watchedQueues(config: Config, option?: string): string[] {
  const list = option ?? config.WATCHDOG_TASK_QUEUES ?? config.DAYBREAK_TASK_QUEUE;
  return list
    .split(',')
    .map((q) => q.trim())
    .filter(Boolean);
}

function parseEvery(text: string): string {
  if (!/^\d+(s|m|h)$/.test(text))
    throw new Error(`--every must look like 30s, 1m or 1h; got ${JSON.stringify(text)}`);
  return text;
}

interface InstallOptions {
  every: string;
  watch?: string;
  staleSeconds?: string;
  taskQueue?: string;
  route?: string;
  scheduleId: string;
}

export function watchdogCommand(): Command {
  const cmd = new Command('watchdog').description('alert when a task queue has no live worker');
  cmd
    .command('install')
    .description('create or update the watchdog schedule')
    .option('--every <interval>', 'how often it checks (30s, 1m, ...)', '1m')
    .option(
      '--watch <queues>',
      'comma-separated task queues to check (default WATCHDOG_TASK_QUEUES or DAYBREAK_TASK_QUEUE)',
    )
    .option(
      '--stale-seconds <n>',
      'a queue is dead when its freshest poller is older (default WATCHDOG_STALE_SECONDS)',
    )
    .option('--task-queue <name>', 'task queue the watchdog itself runs on (default DAYBREAK_TASK_QUEUE)')
    .option('--route <name>', 'alert route (alerts/routes.ts)')
    .option('--schedule-id <id>', 'schedule id', WATCHDOG_SCHEDULE_ID)
    .action(async (opts: InstallOptions) => {
      const config = loadConfig();
      const input: WatchdogInput = {
        taskQueues: watchedQueues(config, opts.watch),
        staleSeconds: opts.staleSeconds ? Number(opts.staleSeconds) : config.WATCHDOG_STALE_SECONDS,
        route: opts.route,
      };
      const { ScheduleNotFoundError, ScheduleOverlapPolicy } = await import('@temporalio/client');
      const client = await connect(config);
      try {
        const action = {
          type: 'startWorkflow' as const,
          workflowType: 'watchdog',
          workflowId: `${opts.scheduleId}-run`,
          taskQueue: opts.taskQueue ?? config.DAYBREAK_TASK_QUEUE,
          args: [input],
          workflowRunTimeout: '5m',
        };
        const spec = { intervals: [{ every: parseEvery(opts.every) }] };
        const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' };
        try {
          await client.schedule
            .getHandle(opts.scheduleId)
            .update((prev) => ({ ...prev, spec, action, policies }));
          process.stdout.write(
            `updated schedule ${opts.scheduleId}: every ${opts.every}, watching ${input.taskQueues.join(', ')}\n`,
          );
        } catch (err) {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
          await client.schedule.create({ scheduleId: opts.scheduleId, spec, action, policies });
          process.stdout.write(
            `created schedule ${opts.scheduleId}: every ${opts.every}, watching ${input.taskQueues.join(', ')}\n`,
          );
        }
      } finally {
        await client.connection.close();
      }
    });
  cmd
    .command('remove')
    .description('delete the watchdog schedule')
    .option('--schedule-id <id>', 'schedule id', WATCHDOG_SCHEDULE_ID)
    .action(async (opts: { scheduleId: string }) => {
      const client = await connect(loadConfig());
      try {
        await client.schedule.getHandle(opts.scheduleId).delete();
        process.stdout.write(`deleted schedule ${opts.scheduleId}\n`);
      } finally {
        await client.connection.close();
      }
    });
  cmd
    .command('check')
    .description("run the watchdog once now (through a worker) and print each queue's state")
    .option('--watch <queues>', 'comma-separated task queues to check')
    .option('--stale-seconds <n>', 'threshold in seconds')
    .option('--task-queue <name>', 'task queue the check runs on')
    .action(async (opts: { watch?: string; staleSeconds?: string; taskQueue?: string }) => {
      const config = loadConfig();
      const client = await connect(config);
      try {
        const report: QueueHealth[] = await client.workflow.execute('watchdog', {
          taskQueue: opts.taskQueue ?? config.DAYBREAK_TASK_QUEUE,
          workflowId: `${WATCHDOG_SCHEDULE_ID}-check-${Date.now()}`,
          args: [
            {
              taskQueues: watchedQueues(config, opts.watch),
              staleSeconds: opts.staleSeconds ? Number(opts.staleSeconds) : config.WATCHDOG_STALE_SECONDS,
            },
          ],
          workflowRunTimeout: '2m',
        });
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } finally {
        await client.connection.close();
      }
    });
  return cmd;
}
