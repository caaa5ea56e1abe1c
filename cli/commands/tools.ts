// `daybreak tools`: make sure the Go-built tools exist in the cache folder (built once with Go).
import { Command } from 'commander';
import { loadConfig } from '../../lib/config.js';

export function toolsCommand(): Command {
  return new Command('tools')
    .description(
      'locate or build the tools Daybreak runs (the Temporal CLI, the GCS emulator) in DAYBREAK_CACHE_DIR',
    )
    .action(async () => {
      const config = loadConfig();
      const [{ findOrBuildFakeGcsServer }, { findOrBuildTemporalCli, temporalCliVersion }] =
        await Promise.all([import('../../devstack/fake-gcs.js'), import('../../devstack/temporal-cli.js')]);
      const temporal = await findOrBuildTemporalCli({
        explicitPath: config.TEMPORAL_CLI,
        cacheDir: config.DAYBREAK_CACHE_DIR,
      });
      process.stderr.write(`daybreak: temporal CLI ${temporal} (${temporalCliVersion(temporal)})\n`);
      const fakeGcs = await findOrBuildFakeGcsServer({ cacheDir: config.DAYBREAK_CACHE_DIR });
      process.stderr.write(`daybreak: GCS emulator ${fakeGcs}\n`);
    });
}
