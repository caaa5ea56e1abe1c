// `daybreak datagen`: deterministic synthetic input data for a pipeline.
import { formatDuration } from '../../lib/durations.js';
import { Command, InvalidArgumentError, Option } from 'commander';

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new InvalidArgumentError(`expected a positive whole number, got ${value}`);
  return Number(value);
}

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got ${value}`);
  return value;
}

interface DatagenOptions {
  pipeline: string;
  rows: number;
  users: number;
  seed: number;
  out: string;
  year?: number;
  days: number;
  date: string;
  records: number;
  asOf?: string;
  world: 'us' | 'intl';
}

export function datagenCommand(): Command {
  return new Command('datagen')
    .description('generate deterministic synthetic Parquet input for a pipeline')
    .addOption(
      new Option('--pipeline <name>', 'pipeline to generate for')
        .choices(['session-ranking', 'identity-join', 'model-scoring'])
        .makeOptionMandatory(),
    )
    .option(
      '--rows <n>',
      'rows to generate (identity-join: DS1 rows per date partition)',
      positiveInt,
      100_000,
    )
    .option('--users <n>', 'distinct users (identity-join: visitors)', positiveInt, 10_000)
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 1)
    .option('--year <yyyy>', 'year of the sessions', positiveInt)
    .option('--days <n>', 'identity-join: number of DS1 dt= partitions', positiveInt, 3)
    .option('--date <yyyy-mm-dd>', 'identity-join: first DS1 partition date', isoDate, '2025-01-01')
    .option('--records <n>', 'model-scoring: customer records to generate', positiveInt, 200_000)
    .option('--as-of <yyyy-mm-dd>', 'model-scoring: records updated in the two years before this date')
    .addOption(
      new Option(
        '--world <name>',
        'model-scoring: us (the first generator) or intl (no email/phone, six countries, typos in several fields)',
      )
        .choices(['us', 'intl'])
        .default('us'),
    )
    .requiredOption('--out <dir>', 'output folder')
    .action(async (opts: DatagenOptions) => {
      const started = Date.now();
      if (opts.pipeline === 'model-scoring') {
        const r =
          opts.world === 'intl'
            ? await (
                await import('../../datagen/customers-intl.js')
              ).generateIntlCustomers({ records: opts.records, seed: opts.seed, out: opts.out })
            : await (
                await import('../../datagen/customers.js')
              ).generateCustomers({ records: opts.records, seed: opts.seed, out: opts.out, asOf: opts.asOf });
        process.stderr.write(
          `daybreak: wrote ${opts.records} customer records to ${r.recordsDir} and labels to ${r.labelsDir} (${formatDuration(Date.now() - started)})\n`,
        );
        return;
      }
      if (opts.pipeline === 'identity-join') {
        const { generateIdentityJoin } = await import('../../datagen/identity-join.js');
        const result = await generateIdentityJoin({
          rows: opts.rows,
          visitors: opts.users,
          seed: opts.seed,
          out: opts.out,
          days: opts.days,
          startDate: opts.date,
        });
        process.stderr.write(
          `daybreak: wrote DS1 (${opts.rows} rows x ${result.dates.length} partitions ${result.dates[0]}..${result.dates.at(-1)}, ${result.ds1Files} files) to ${result.ds1Dir} and DS2 (${opts.users} visitors, ${result.ds2Files} files) to ${result.ds2Dir} (${formatDuration(Date.now() - started)})\n`,
        );
        return;
      }
      const { generateSessionRanking } = await import('../../datagen/session-ranking.js');
      const result = await generateSessionRanking({
        rows: opts.rows,
        users: opts.users,
        seed: opts.seed,
        out: opts.out,
        year: opts.year,
      });
      process.stderr.write(
        `daybreak: wrote ${opts.rows} sessions in ${result.activityFiles} files to ${result.activityDir} and profiles to ${result.profileDir} (${formatDuration(Date.now() - started)})\n`,
      );
    });
}
