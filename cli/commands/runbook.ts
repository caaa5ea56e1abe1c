// `daybreak runbook "<error text>"`: the runbook sections that best match an error, for on-call,
// from the shipped alerts/runbooks/ and the pages `daybreak runbook import <folder>` added.
import { Command } from 'commander';
import { loadConfig } from '../../lib/config.js';

function importCommand(): Command {
  return new Command('import')
    .description(
      'add runbooks from a Confluence space export (HTML pages) or Markdown files, split into sections by their headings',
    )
    .argument('<folder>', 'the export folder (read recursively: *.html, *.htm, *.md)')
    .option('--json', 'print JSON (files written, sections, pages skipped)', false)
    .action(async (folder: string, opts: { json: boolean }) => {
      const config = loadConfig();
      const { importRunbooks } = await import('../../alerts/runbook-import.js');
      const result = importRunbooks(folder, config.DAYBREAK_DATA_ROOT);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      process.stdout.write(`imported ${result.sections} sections from ${result.written.length} pages\n`);
      for (const file of result.written) process.stdout.write(`  ${file}\n`);
      for (const s of result.skipped) process.stdout.write(`  skipped ${s.file}: ${s.why}\n`);
    });
}

export function runbookCommand(): Command {
  return new Command('runbook')
    .description(
      'find the runbook steps for an error message (BM25 over alerts/runbooks/*.md and imported pages)',
    )
    .argument('<error-text...>', 'the error class and/or message, as printed')
    .option('-n, --limit <n>', 'how many sections', '3')
    .option('--json', 'print JSON (title, file, source, anchor, score, steps)', false)
    .addCommand(importCommand())
    .action(async (words: string[], opts: { limit: string; json: boolean }) => {
      const config = loadConfig();
      const { runbookIndex } = await import('../../alerts/runbook-index.js');
      const limit = Math.max(1, Number(opts.limit) || 3);
      const matches = runbookIndex(config.DAYBREAK_DATA_ROOT).search(words.join(' '), limit);
      if (opts.json) {
        const out = matches.map(({ title, file, source, anchor, score, steps }) => ({
          title,
          file,
          ...(source ? { source } : {}),
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
        const where = m.source ? `from ${m.source}` : `alerts/runbooks/${m.file}#${m.anchor}`;
        process.stdout.write(`\n${m.title}  (${where}, score ${m.score})\n`);
        m.steps.forEach((s, i) => process.stdout.write(`  ${i + 1}. ${s}\n`));
      }
    });
}
