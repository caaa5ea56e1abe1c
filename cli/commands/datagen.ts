// `daybreak datagen`: deterministic synthetic input data for a pipeline.
import { Command, InvalidArgumentError, Option } from 'commander';
import { generateCustomers } from '../../bench/datagen/customers.js';
import { generateSessionRanking } from '../../bench/datagen/session-ranking.js';

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new InvalidArgumentError(`expected a positive whole number, got ${value}`);
  return Number(value);
}

interface DatagenOptions {
  pipeline: string;
  rows: number;
  users: number;
  seed: number;
  out: string;
  year?: number;
  records: number;
  asOf?: string;
}

export function datagenCommand(): Command {
  return new Command('datagen')
    .description('generate deterministic synthetic Parquet input for a pipeline')
    .addOption(
      new Option('--pipeline <name>', 'pipeline to generate for')
        .choices(['session-ranking', 'model-scoring'])
        .makeOptionMandatory(),
    )
    .option('--rows <n>', 'rows (sessions) to generate', positiveInt, 100_000)
    .option('--users <n>', 'distinct users', positiveInt, 10_000)
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 1)
    .option('--year <yyyy>', 'year of the sessions', positiveInt)
    .option('--records <n>', 'model-scoring: customer records to generate', positiveInt, 200_000)
    .option('--as-of <yyyy-mm-dd>', 'model-scoring: records updated in the two years before this date')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (opts: DatagenOptions) => {
      const started = Date.now();
      if (opts.pipeline === 'model-scoring') {
        const r = await generateCustomers({
          records: opts.records,
          seed: opts.seed,
          out: opts.out,
          asOf: opts.asOf,
        });
        process.stderr.write(
          `daybreak: wrote ${opts.records} customer records to ${r.recordsDir} and labels to ${r.labelsDir} (${Date.now() - started} ms)\n`,
        );
        return;
      }
      const result = await generateSessionRanking({
        rows: opts.rows,
        users: opts.users,
        seed: opts.seed,
        out: opts.out,
        year: opts.year,
      });
      process.stderr.write(
        `daybreak: wrote ${opts.rows} sessions in ${result.activityFiles} files to ${result.activityDir} and profiles to ${result.profileDir} (${Date.now() - started} ms)\n`,
      );
    });
}
