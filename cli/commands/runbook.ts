// `daybreak runbook "<error text>"`: the runbook sections that best match an error, for on-call.
import { Command } from 'commander';

export function runbookCommand(): Command {
  return new Command('runbook')
    .description('find the runbook steps for an error message (BM25 over alerts/runbooks/*.md)')
    .argument('<error-text...>', 'the error class and/or message, as printed')
    .option('-n, --limit <n>', 'how many sections', '3')
    .option('--json', 'print JSON (title, file, anchor, score, steps)', false)
    .action(async (words: string[], opts: { limit: string; json: boolean }) => {
      const { runbookIndex } = await import('../../alerts/runbook-index.js');
      const limit = Math.max(1, Number(opts.limit) || 3);
      const matches = runbookIndex().search(words.join(' '), limit);
      if (opts.json) {
        const out = matches.map(({ title, file, anchor, score, steps }) => ({
          title,
          file,
          anchor,
          score,
          steps,
        }));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      if (matches.length === 0) {
        process.stdout.write('no runbook section matches; see alerts/runbooks/\n');
        process.exitCode = 1;
        return;
      }
      for (const m of matches) {
        process.stdout.write(`\n${m.title}  (alerts/runbooks/${m.file}#${m.anchor}, score ${m.score})\n`);
        m.steps.forEach((s, i) => process.stdout.write(`  ${i + 1}. ${s}\n`));
      }
    });
}
