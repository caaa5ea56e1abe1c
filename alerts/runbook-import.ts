// `daybreak runbook import <folder>`: runbooks from where a team keeps them. A Confluence space
// export (HTML pages) or Markdown files are split into sections by their headings and written,
// in the runbook format alerts/runbook-index.ts reads (title, a Source: line, prose, Steps:), under
// <data root>/_daybreak/runbooks/ (one file per page), which every worker shares; the shipped
// alerts/runbooks/ stay the defaults beside them.
import fs from 'node:fs';
import path from 'node:path';
import { DomUtils, parseDocument } from 'htmlparser2';
import type { ChildNode, Element } from 'domhandler';
import { badInput } from '../lib/errors.js';
import { importedRunbookDir, parseRunbook } from './runbook-index.js';

interface Block {
  kind: 'heading' | 'text' | 'step' | 'item';
  text: string;
}

const clean = (s: string) => s.replace(/\s+/g, ' ').trim();

/** The blocks of a page's content, in order: headings, paragraphs, numbered steps, bullets. */
function blocksOf(nodes: ChildNode[], out: Block[] = []): Block[] {
  for (const node of nodes) {
    if (node.type !== 'tag' && node.type !== 'script' && node.type !== 'style') continue;
    const el = node as Element;
    const name = el.name.toLowerCase();
    if (name === 'script' || name === 'style') continue;
    if (/^h[1-4]$/.test(name)) out.push({ kind: 'heading', text: clean(DomUtils.textContent(el)) });
    else if (name === 'ol' || name === 'ul')
      for (const li of el.children.filter((c): c is Element => c.type === 'tag' && c.name === 'li'))
        out.push({ kind: name === 'ol' ? 'step' : 'item', text: clean(DomUtils.textContent(li)) });
    else if (name === 'p' || name === 'pre' || name === 'td')
      out.push({ kind: 'text', text: clean(DomUtils.textContent(el)) });
    else blocksOf(el.children, out);
  }
  return out.filter((b) => b.text !== '');
}

/** A Confluence page's title (`<title>Space : Page</title>`, else its first heading) and content. */
function htmlPage(html: string): { title: string; blocks: Block[] } {
  const doc = parseDocument(html);
  const main =
    DomUtils.findOne((e) => e.attribs.id === 'main-content', doc.children) ??
    DomUtils.findOne((e) => e.name === 'body', doc.children) ??
    doc;
  const blocks = blocksOf(main.children);
  const rawTitle = clean(
    DomUtils.textContent(DomUtils.findOne((e) => e.name === 'title', doc.children) ?? []),
  );
  const title = rawTitle.split(' : ').at(-1) || blocks.find((b) => b.kind === 'heading')?.text || '';
  return { title, blocks };
}

/** The blocks of a Markdown file: `#`..`####` headings, numbered steps, bullets, paragraphs. */
function markdownPage(md: string): { title: string; blocks: Block[] } {
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) blocks.push({ kind: 'text', text: clean(para.join(' ')) });
    para = [];
  };
  for (const line of md.split('\n')) {
    const heading = /^#{1,4}\s+(.+)$/.exec(line);
    const step = /^\s*\d+[.)]\s+(.+)$/.exec(line);
    const item = /^\s*[-*]\s+(.+)$/.exec(line);
    if (heading || step || item || line.trim() === '') flush();
    if (heading) blocks.push({ kind: 'heading', text: clean(heading[1]!) });
    else if (step) blocks.push({ kind: 'step', text: clean(step[1]!) });
    else if (item) blocks.push({ kind: 'item', text: clean(item[1]!) });
    else if (line.trim() !== '') para.push(line);
  }
  flush();
  return { title: blocks.find((b) => b.kind === 'heading')?.text ?? '', blocks };
}

/**
 * One runbook file (our format) per page: a section per heading with content under it, titled
 * by the heading (the page title when the content comes before any heading).
 */
export function toRunbookMarkdown(source: string, page: { title: string; blocks: Block[] }): string {
  const sections: { title: string; blocks: Block[] }[] = [];
  for (const b of page.blocks) {
    if (b.kind === 'heading') sections.push({ title: b.text, blocks: [] });
    else {
      if (!sections.length) sections.push({ title: page.title, blocks: [] });
      sections.at(-1)!.blocks.push(b);
    }
  }
  const out = [`# ${page.title}`, '', `<!-- imported from ${source}: edit the source and import again -->`];
  for (const s of sections.filter((x) => x.blocks.length)) {
    const text = s.blocks
      .filter((b) => b.kind !== 'step')
      .map((b) => (b.kind === 'item' ? `- ${b.text}` : b.text));
    const steps = s.blocks.filter((b) => b.kind === 'step').map((b, i) => `${i + 1}. ${b.text}`);
    const title = s.title === page.title ? s.title : `${s.title} (${page.title})`;
    out.push('', `## ${title}`, '', `Source: ${source} ("${page.title}")`, '', ...text);
    if (steps.length) out.push('', 'Steps:', ...steps);
  }
  return `${out.join('\n')}\n`;
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

export interface ImportResult {
  /** Files written under the imported-runbook folder. */
  written: string[];
  sections: number;
  /** Pages left out and why (no headings with content, an index page). */
  skipped: { file: string; why: string }[];
}

/** Imports every `.html`/`.htm`/`.md` file of `folder` (recursively) into `<data root>/_daybreak/runbooks`. */
export function importRunbooks(folder: string, dataRoot: string): ImportResult {
  const dir = importedRunbookDir(dataRoot);
  if (!dir)
    throw badInput(
      `runbook import needs a local DAYBREAK_DATA_ROOT (imported runbooks are read from disk by every worker); got ${dataRoot}`,
    );
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory())
    throw badInput(`runbook import: ${folder} is not a folder`);
  const files = (fs.readdirSync(folder, { recursive: true }) as string[])
    .filter((f) => /\.(html?|md)$/i.test(f))
    .sort();
  if (!files.length) throw badInput(`runbook import: no .html or .md files in ${folder}`);
  fs.mkdirSync(dir, { recursive: true });
  const result: ImportResult = { written: [], sections: 0, skipped: [] };
  for (const file of files) {
    const text = fs.readFileSync(path.join(folder, file), 'utf8');
    const page = /\.md$/i.test(file) ? markdownPage(text) : htmlPage(text);
    if (/^index\.html?$/i.test(path.basename(file))) {
      result.skipped.push({ file, why: 'the export index page' });
      continue;
    }
    const markdown = toRunbookMarkdown(file, page);
    const sections = parseRunbook(file, markdown);
    if (!sections.length) {
      result.skipped.push({ file, why: 'no section with content under a heading' });
      continue;
    }
    const target = path.join(dir, `${slug(file.replace(/\.(html?|md)$/i, ''))}.md`);
    fs.writeFileSync(target, markdown);
    result.written.push(target);
    result.sections += sections.length;
  }
  return result;
}
