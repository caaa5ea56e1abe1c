// `daybreak tools`: find every tool Daybreak's local stack and tests drive, installing what is
// missing (devstack/provision.ts), and print where each one is.
import { Command } from 'commander';
import { loadConfig } from '../../lib/config.js';

export function toolsCommand(): Command {
  return new Command('tools')
    .description(
      'find or install every tool the local stack and the tests use (redis-server, promtool, amtool, chromium, the Temporal CLI, the GCS emulator)',
    )
    .action(async () => {
      const config = loadConfig();
      const { ALL_TOOLS, provision } = await import('../../devstack/provision.js');
      const tools = await provision({
        tools: ALL_TOOLS,
        install: config.DAYBREAK_PROVISION,
        cacheDir: config.DAYBREAK_CACHE_DIR,
        temporalCli: config.TEMPORAL_CLI,
      });
      for (const [name, at] of Object.entries(tools)) process.stdout.write(`${name.padEnd(16)} ${at}\n`);
    });
}
