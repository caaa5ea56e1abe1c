// A feature sync of one view in its own process, slowed down between chunks so a test can
// SIGKILL it midway through the Redis load. Prints "loading <written>" after each chunk.
import { syncViewInProcess } from '../../activities/feature-sync/steps.js';
import { loadConfig } from '../../lib/config.js';
import { featureView } from '../../lib/features/views/index.js';

const args = JSON.parse(process.argv[2]!) as {
  scratch: string;
  view: string;
  records: string;
  output: string;
  redisUrl: string;
  asOf: string;
  pauseMs: number;
  shards?: number;
};
const config = loadConfig({ DAYBREAK_SCRATCH_DIR: args.scratch, DAYBREAK_DUCKDB_THREADS: '1' });
await syncViewInProcess(
  config,
  {
    view: featureView(args.view)!,
    records: args.records,
    output: args.output,
    runDate: args.asOf.slice(0, 10),
    asOf: args.asOf,
    mode: 'full',
    redisUrl: args.redisUrl,
    shards: args.shards,
  },
  async (written) => {
    process.stdout.write(`loading ${written}\n`);
    await new Promise((r) => setTimeout(r, args.pauseMs));
  },
);
process.stdout.write('done\n');
