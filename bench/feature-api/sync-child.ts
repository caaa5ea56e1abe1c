// The sync steps a bench:feature-api window measures, in their own process as on a worker: in the
// bench's process their JS work (RESP strings, ioredis replies) stalled the load generator's event
// loop, which then timed the API's responses late. Prints "ready" once its modules are loaded,
// waits for a line on stdin, loads the plan's shards (unless `loads` are given), publishes, and
// prints the outcome as one JSON line.
import readline from 'node:readline';
import { loadShard, publishVersion } from '../../activities/feature-sync/steps.js';
import type { ComputedView, LoadPlan, ShardLoad } from '../../activities/feature-sync/types.js';
import { loadConfig } from '../../lib/config.js';
import { FEATURE_VIEWS } from '../../lib/features/views/index.js';

const args = JSON.parse(process.argv[2]!) as {
  scratchDir: string;
  redisUrl: string;
  plan: LoadPlan;
  computed: ComputedView;
  files: string[];
  loads?: ShardLoad[];
};
const config = loadConfig({ ...process.env, DAYBREAK_SCRATCH_DIR: args.scratchDir });
const view = FEATURE_VIEWS.customer!;
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdout.write('ready\n');
if ((await lines.next()).done) process.exit(0); // the bench ended without running this sync
let loads = args.loads;
if (!loads) {
  loads = [];
  for (let shard = 0; shard < args.plan.shards; shard++)
    loads.push(
      await loadShard(config, { view, plan: args.plan, files: args.files, shard, redisUrl: args.redisUrl }),
    );
}
const outcome = await publishVersion(config, {
  view,
  plan: args.plan,
  computed: args.computed,
  loads,
  redisUrl: args.redisUrl,
});
process.stdout.write(`${JSON.stringify({ outcome, written: loads.reduce((s, l) => s + l.written, 0) })}\n`);
process.exit(0);
