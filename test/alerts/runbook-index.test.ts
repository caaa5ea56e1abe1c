// Runbook retrieval: top-1 accuracy over realistic error messages (as DuckDB, ioredis, gRPC, GCS,
// nodemailer and Node's fs word them) must be at least 0.9; `daybreak runbook --json` answers.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { loadRunbooks, RunbookIndex } from '../../alerts/runbook-index.js';
import { RUNBOOK_CASES } from './runbook-cases.js';

const run = promisify(execFile);

test('every runbook section has signals and numbered steps, and every expected title exists', () => {
  const sections = loadRunbooks();
  expect(sections.length).toBeGreaterThanOrEqual(14);
  for (const s of sections) {
    expect(s.signals.length, s.title).toBeGreaterThan(10);
    expect(s.steps.length, s.title).toBeGreaterThanOrEqual(2);
  }
  const titles = new Set(sections.map((s) => s.title));
  for (const c of RUNBOOK_CASES) expect(titles, c.expected).toContain(c.expected);
});

test('top-1 accuracy on >= 30 realistic error messages is at least 0.9', () => {
  expect(RUNBOOK_CASES.length).toBeGreaterThanOrEqual(30);
  const index = new RunbookIndex();
  const misses: string[] = [];
  for (const c of RUNBOOK_CASES) {
    const top = index.search(c.text, 1)[0]?.title;
    if (top !== c.expected) misses.push(`${c.source}: ${c.text.slice(0, 70)} -> ${top} (want ${c.expected})`);
  }
  const accuracy = (RUNBOOK_CASES.length - misses.length) / RUNBOOK_CASES.length;
  const sources = new Set(RUNBOOK_CASES.map((c) => c.source));
  console.log(
    `runbook retrieval: top-1 accuracy ${accuracy.toFixed(3)} (${RUNBOOK_CASES.length - misses.length}/${RUNBOOK_CASES.length}, sources: ${[...sources].join(', ')})${misses.length ? `\n  misses:\n  ${misses.join('\n  ')}` : ''}`,
  );
  expect(accuracy).toBeGreaterThanOrEqual(0.9);
});

test('an unrelated text does not pretend to match strongly', () => {
  const index = new RunbookIndex();
  expect(index.search('lorem ipsum dolor sit amet', 1)).toEqual([]);
});

test('daybreak runbook --json prints the best sections with title, file, score and steps', async () => {
  const { stdout } = await run(
    'node',
    ['bin/daybreak.js', 'runbook', '--json', '-n', '2', 'ENOSPC: no space left on device, write'],
    { timeout: 60_000 },
  );
  const out = JSON.parse(stdout) as { title: string; file: string; score: number; steps: string[] }[];
  expect(out).toHaveLength(2);
  expect(out[0]).toMatchObject({ title: 'Disk full', file: 'resources.md' });
  expect(out[0]!.score).toBeGreaterThan(out[1]!.score);
  expect(out[0]!.steps.length).toBeGreaterThanOrEqual(3);
});
