// `daybreak schedules ...`: schedules as code (schedules/definitions) against the Temporal server.
import { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../../lib/config.js';
import { loadCatalogue } from '../../pipelines/sql.js';
import type { ScheduleChange } from '../../schedules/apply.js';
import { SCHEDULE_ID_PREFIX } from '../../schedules/compile.js';
import { SCHEDULES } from '../../schedules/definitions/index.js';
import { ScheduleError } from '../../schedules/types.js';
import { parseDateOption } from '../params.js';
import { formatTable } from '../table.js';

const SIGN: Record<ScheduleChange['kind'], string> = {
  create: '+',
  update: '~',
  unchanged: '=',
  delete: '-',
};

interface Common {
  idPrefix: string;
  json?: boolean;
}

/** The Temporal-facing modules, loaded when a subcommand runs rather than for `--help`. */
async function scheduleOps() {
  const [temporal, apply, operations] = await Promise.all([
    import('../../lib/temporal.js'),
    import('../../schedules/apply.js'),
    import('../../schedules/operations.js'),
  ]);
  return { ...temporal, ...apply, ...operations };
}
type ScheduleOps = Awaited<ReturnType<typeof scheduleOps>>;

async function withClient<T>(
  fn: (client: Client, config: Config, ops: ScheduleOps) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const ops = await scheduleOps();
  const client = await ops.connectClient(config);
  try {
    return await fn(client, config, ops);
  } catch (err) {
    if (!(err instanceof ScheduleError)) throw err;
    process.stderr.write(`daybreak: ${err.message}\n`);
    process.exitCode = 2;
    return undefined as T;
  } finally {
    await client.connection.close();
  }
}

const out = (line: string) => process.stdout.write(`${line}\n`);

export function schedulesCommand(): Command {
  const cmd = new Command('schedules')
    .description(
      'schedules as code: apply the definitions in schedules/definitions, list, pause, backfill...',
    )
    .option('--id-prefix <prefix>', 'id prefix of the schedules Daybreak manages', SCHEDULE_ID_PREFIX);
  const common = (c: Command) => c.optsWithGlobals() as Common;

  cmd
    .command('apply')
    .description(
      'make the server match the code: prints the diff (create/update/unchanged/delete), then acts',
    )
    .option('--dry-run', 'print the diff only', false)
    .option('--prune', 'delete managed schedules that no definition names any more', false)
    .option('--json', 'print the diff as JSON', false)
    .action(async (opts: { dryRun: boolean; prune: boolean }, c: Command) => {
      const { idPrefix, json } = common(c);
      await withClient(async (client, config, { applySchedules }) => {
        // The SQL pipelines as `pipelines validate` checks them: nothing is applied while one is wrong.
        const loaded = await loadCatalogue(config);
        const { validateSqlPipelines } = await import('../../pipelines/sql-validate.js');
        const invalid = (await validateSqlPipelines(config, loaded)).errors;
        if (invalid.length) {
          throw new ScheduleError(
            `${invalid.length} SQL pipeline file(s) with problems; nothing applied:\n${invalid.map((e) => e.message).join('\n')}`,
          );
        }
        const changes = await applySchedules({
          client,
          config,
          pipelines: loaded.catalogue.pipelines,
          definitions: SCHEDULES,
          idPrefix,
          prune: opts.prune,
          dryRun: opts.dryRun,
        });
        if (json) {
          out(
            JSON.stringify(
              changes.map(({ compiled: _c, ...rest }) => rest),
              null,
              2,
            ),
          );
          return;
        }
        for (const ch of changes) out(`${SIGN[ch.kind]} ${ch.kind.padEnd(9)} ${ch.scheduleId}  ${ch.reason}`);
        const count = (k: ScheduleChange['kind']) => changes.filter((ch) => ch.kind === k).length;
        const summary = `${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged`;
        out(opts.dryRun ? `dry run: ${summary}; nothing changed` : `applied: ${summary}`);
      });
    });

  cmd
    .command('list')
    .description('managed schedules: paused, next run times, last run and its result')
    .option('--json', 'print JSON', false)
    .action(async (_opts: unknown, c: Command) => {
      const { idPrefix, json } = common(c);
      await withClient(async (client, config, { listSchedules, webUiRunUrl }) => {
        const list = await listSchedules(
          client,
          idPrefix,
          SCHEDULES.map((d) => d.name),
        );
        if (json) return out(JSON.stringify(list, null, 2));
        if (!list.length) return out(`no schedules under ${idPrefix}; run "daybreak schedules apply"`);
        out(
          formatTable(
            ['schedule', 'state', 'next runs', 'last run (logical date)', 'result', 'link'],
            list.map((s) => [
              s.name,
              s.paused ? `paused${s.note ? ` (${s.note})` : ''}` : 'active',
              s.nextRuns.slice(0, 2).join(', ') || '-',
              s.lastRun ? `${s.lastRun.scheduledAt} (${s.lastRun.logicalDate})` : '-',
              s.lastRun?.status ?? '-',
              s.lastRun ? webUiRunUrl(config, s.lastRun.workflowId, s.lastRun.runId) : '',
            ]),
          ),
        );
      });
    });

  cmd
    .command('pause <name>')
    .description('pause a schedule (runs already started go on)')
    .option('--note <text>', 'why (shown in list and in the Web UI)')
    .action(async (name: string, opts: { note?: string }, c: Command) => {
      await withClient(async (client, _config, { pauseSchedule }) => {
        await pauseSchedule(client, name, opts.note, common(c).idPrefix);
        out(`paused ${name}`);
      });
    });

  cmd
    .command('unpause <name>')
    .option('--note <text>', 'note replacing the pause note')
    .action(async (name: string, opts: { note?: string }, c: Command) => {
      await withClient(async (client, _config, { unpauseSchedule }) => {
        await unpauseSchedule(client, name, opts.note, common(c).idPrefix);
        out(`unpaused ${name}`);
      });
    });

  cmd
    .command('trigger <name>')
    .description("start one run now (logical date from now), with the schedule's overlap policy")
    .action(async (name: string, _opts: unknown, c: Command) => {
      await withClient(async (client, _config, { triggerSchedule }) => {
        await triggerSchedule(client, name, common(c).idPrefix);
        out(`triggered ${name}`);
      });
    });

  cmd
    .command('backfill <name>')
    .description("one run per logical date, in order, with the schedule's overlap policy")
    .requiredOption('--from <YYYY-MM-DD>', 'first logical date', parseDateOption)
    .requiredOption('--to <YYYY-MM-DD>', 'last logical date (inclusive)', parseDateOption)
    .action(async (name: string, opts: { from: string; to: string }, c: Command) => {
      await withClient(async (client, _config, { backfillSchedule }) => {
        const plan = await backfillSchedule(client, name, opts.from, opts.to, common(c).idPrefix);
        out(
          `backfill ${name}: ${plan.dates.length} logical dates ${opts.from}..${opts.to} (scheduled times ${plan.start} .. ${plan.end}, overlap ${plan.overlap})`,
        );
      });
    });

  cmd
    .command('delete <name>')
    .description('delete a schedule from the server (apply recreates it while its definition exists)')
    .action(async (name: string, _opts: unknown, c: Command) => {
      await withClient(async (client, _config, { deleteSchedule }) => {
        await deleteSchedule(client, name, common(c).idPrefix);
        out(`deleted ${name}`);
      });
    });
  return cmd;
}
