// Runbook retrieval: BM25F (wink-bm25-text-search) over the `##` sections of alerts/runbooks/*.md.
// A section's "Signals:" line (the words a failure shows up with) weighs most, then its title, then
// its prose and steps. Queries are the error class plus the root-cause message.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import bm25 from 'wink-bm25-text-search';
import { isGcsUri } from '../lib/storage/uri.js';

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
  /** The page an imported section came from (its `Source:` line); shipped sections have none. */
  source?: string;
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
    const source = /^Source:\s*(.+)$/m.exec(lines)?.[1]?.trim();
    const body = lines
      .replace(/^Signals:.*$/m, '')
      .replace(/^Source:.*$/m, '')
      .trim();
    const anchor = title
      .toLowerCase()
      .replace(/[^\w\s-]/g, '')
      .trim()
      .replace(/\s+/g, '-');
    sections.push({ title, file, anchor, signals, body, steps, ...(source ? { source } : {}) });
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

/**
 * Where `daybreak runbook import` writes: `<data root>/_daybreak/runbooks` (alerts/runbook-import.ts),
 * read from disk by every worker; undefined for a gs:// data root (not supported yet).
 */
export function importedRunbookDir(dataRoot: string): string | undefined {
  return isGcsUri(dataRoot) ? undefined : path.join(dataRoot, '_daybreak', 'runbooks');
}

/** The imported files of a data root with their modification times (what the cached index was built from). */
function importedFiles(dataRoot: string | undefined): { file: string; mtimeMs: number }[] {
  const dir = dataRoot === undefined ? undefined : importedRunbookDir(dataRoot);
  if (!dir || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.md'))
    .sort()
    .map((n) => ({ file: path.join(dir, n), mtimeMs: fs.statSync(path.join(dir, n)).mtimeMs }));
}

/** The sections imported under a data root (none when nothing was imported). */
export function loadImportedRunbooks(dataRoot: string): RunbookSection[] {
  return importedFiles(dataRoot).flatMap(({ file }) =>
    parseRunbook(path.basename(file), fs.readFileSync(file, 'utf8')),
  );
}

let shared: { key: string; index: RunbookIndex } | undefined;

/**
 * The index over the shipped runbooks plus those imported under `dataRoot`; rebuilt when an
 * import changed the imported files, else reused.
 */
export function runbookIndex(dataRoot?: string): RunbookIndex {
  const files = importedFiles(dataRoot);
  const key = JSON.stringify(files);
  if (shared?.key !== key)
    shared = {
      key,
      index: new RunbookIndex([...loadRunbooks(), ...(dataRoot ? loadImportedRunbooks(dataRoot) : [])]),
    };
  return shared.index;
}
