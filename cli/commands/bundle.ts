// `daybreak bundle --out FILE`: prebuild the workflow bundle that workers load through
// DAYBREAK_WORKFLOW_BUNDLE instead of running webpack at every start (the image does this).
import { formatDuration } from '../../lib/durations.js';
import { Command } from 'commander';

export function bundleCommand(): Command {
  return new Command('bundle')
    .description('prebuild the workflow bundle for DAYBREAK_WORKFLOW_BUNDLE (workers then skip webpack)')
    .requiredOption('--out <file>', 'where to write the bundle (JavaScript)')
    .action(async (opts: { out: string }) => {
      const started = Date.now();
      const { writeWorkflowBundle } = await import('../../workers/bundle.js');
      const bytes = await writeWorkflowBundle(opts.out);
      process.stderr.write(
        `daybreak: wrote the workflow bundle to ${opts.out} (${(bytes / 1e6).toFixed(1)} MB, ${formatDuration(Date.now() - started)}); set DAYBREAK_WORKFLOW_BUNDLE=${opts.out}\n`,
      );
    });
}
