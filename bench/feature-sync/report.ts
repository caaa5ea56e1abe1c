// Writes one bench's figures into its own marked block of BENCHMARKS.md (replaced on each run).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function machineNote(): string {
  const [l1, l5] = os.loadavg();
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ${l1!.toFixed(1)} / ${l5!.toFixed(1)} (1 / 5 min) at the start; ${new Date().toISOString()}`;
}

export function writeBenchmarkSection(id: string, markdown: string): void {
  const file = path.resolve('BENCHMARKS.md');
  const begin = `<!-- ${id}:begin -->`;
  const end = `<!-- ${id}:end -->`;
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${begin}\n${markdown.trim()}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  text =
    i >= 0 && j > i
      ? text.slice(0, i) + block + text.slice(j + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(file, text);
}
