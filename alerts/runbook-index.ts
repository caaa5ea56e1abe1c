// Runbook retrieval: BM25F (wink-bm25-text-search) over the `##` sections of alerts/runbooks/*.md.
// A section's "Signals:" line (the words a failure shows up with) weighs most, then its title, then
// its prose and steps. Queries are the error class plus the root-cause message.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import bm25 from 'wink-bm25-text-search';

export const RUNBOOK_DIR = fileURLToPath(new URL('./runbooks/', import.meta.url));

export interface RunbookSection {
  title: string;
  /** File name relative to the runbook folder, e.g. resources.md */
  file: string;
  /** GitHub-style anchor of the section. */
  anchor: string;
  signals: string;
  body: string;
  steps: string[];
}

export interface RunbookMatch extends RunbookSection {
  score: number;
}

export function parseRunbook(file: string, markdown: string): RunbookSection[] {
  const sections: RunbookSection[] = [];
  for (const chunk of markdown.split(/^## /m).slice(1)) {
    const [titleLine = '', ...rest] = chunk.split('\n');
    const title = titleLine.trim();
    const lines = rest.join('\n');
    const signals = /^Signals:\s*(.+)$/m.exec(lines)?.[1]?.trim() ?? '';
    const stepsBlock = lines.split(/^Steps:\s*$/m)[1] ?? '';
    const steps = [...stepsBlock.matchAll(/^\d+\.\s+(.+)$/gm)].map((m) => m[1]!.trim());
    const body = lines.replace(/^Signals:.*$/m, '').trim();
    const anchor = title
      .toLowerCase()
      .replace(/[^\w\s-]/g, '')
      .trim()
      .replace(/\s+/g, '-');
    sections.push({ title, file, anchor, signals, body, steps });
  }
  return sections;
}

export function loadRunbooks(dir = RUNBOOK_DIR): RunbookSection[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.md') && name !== 'README.md')
    .sort()
    .flatMap((name) => parseRunbook(name, fs.readFileSync(path.join(dir, name), 'utf8')));
}

const STOP_WORDS = new Set(
  'a an and are as at be by can for from has have in is it its of on or that the this to was were will with not no any all'
    .split(' ')
    .filter((w) => w !== 'no' && w !== 'not'),
);

/** Lower-case word and number tokens; CamelCase split (OutOfMemory -> out of memory); light stemming. */
export function tokenize(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 1 && !STOP_WORDS.has(t))
    .map((t) => (t.length > 4 && t.endsWith('s') && !t.endsWith('ss') ? t.slice(0, -1) : t));
}

export class RunbookIndex {
  private readonly engine = bm25();
  private readonly sections: RunbookSection[];

  constructor(sections: RunbookSection[] = loadRunbooks()) {
    if (sections.length < 3) throw new Error('the runbook index needs at least 3 sections');
    this.sections = sections;
    this.engine.defineConfig({
      fldWeights: { signals: 3, title: 2, body: 1 },
      bm25Params: { k1: 1.2, b: 0.5 },
    });
    this.engine.definePrepTasks([tokenize]);
    sections.forEach((s, i) => this.engine.addDoc({ signals: s.signals, title: s.title, body: s.body }, i));
    this.engine.consolidate();
  }

  /** Best-matching sections for an error text, best first (empty when nothing matches). */
  search(text: string, limit = 3): RunbookMatch[] {
    return this.engine
      .search(text, limit)
      .map(([id, score]) => ({ ...this.sections[Number(id)]!, score: Math.round(score * 1000) / 1000 }));
  }

  /** The single best section, used by alerts. */
  best(errorClass: string | undefined, message: string | undefined): RunbookMatch | undefined {
    return this.search(`${errorClass ?? ''} ${message ?? ''}`, 1)[0];
  }
}

let shared: RunbookIndex | undefined;

/** The index over the shipped runbooks, built once per process. */
export function runbookIndex(): RunbookIndex {
  shared ??= new RunbookIndex();
  return shared;
}
