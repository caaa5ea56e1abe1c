// The compiled CLI (bin/compile.js) is never older than its sources: a start whose sources are
// unchanged reuses the build, an edited source is built again before it runs, each module keeps
// its source location (import.meta.url) and stack traces of the long-running commands name the TypeScript files. Run in a
// small stand-in repository (the real bin/ scripts, two tiny entry points), so the real sources
// and their build are left alone.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..', '..');

function standInRepo(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'daybreak-compile-'));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  for (const file of ['bin/compile.js', 'bin/daybreak.js', 'bin/code-cache.js'])
    write(file, fs.readFileSync(path.join(REPO, file), 'utf8'));
  write('package.json', '{ "type": "module" }\n');
  write('package-lock.json', '{}\n');
  write('tsconfig.json', '{}\n');
  write('lib/message.ts', "export const message: string = 'one';\n");
  write(
    'cli/main.ts',
    [
      "import { message } from '../lib/message.js';",
      'const where: string = import.meta.url;',
      "const stack = new Error('here').stack;",
      // A dynamic import: it must work from a code cache too (Node 20 loses the callback there).
      "void import('node:path').then(({ sep }) => console.log(JSON.stringify({ message, where, stack, sep })));",
      '',
    ].join('\n'),
  );
  write('cli/commands/healthcheck.ts', 'export const unused = 1;\n');
  // esbuild and tsx from the real install; the build cache is this repository's own.
  fs.mkdirSync(path.join(root, 'node_modules'));
  for (const pkg of ['esbuild', 'tsx'])
    fs.symlinkSync(path.join(REPO, 'node_modules', pkg), path.join(root, 'node_modules', pkg));
  return root;
}

function daybreak(root: string, env: Record<string, string> = {}, args: string[] = []) {
  const res = spawnSync(process.execPath, [path.join(root, 'bin', 'daybreak.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, DAYBREAK_COMPILE: '', ...env },
  });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as { message: string; where: string; stack: string; sep: string };
}

function builds(root: string): string[] {
  const cache = path.join(root, 'node_modules', '.cache', 'daybreak', 'cli');
  return fs.readdirSync(cache).filter((f) => f !== 'current.json');
}

test('the compiled CLI is built once, reused while the sources stay, rebuilt when one changes', () => {
  const root = standInRepo();
  try {
    // A long-running command (its logs keep stack traces): source maps on.
    const first = daybreak(root, {}, ['worker']);
    expect(first.message).toBe('one');
    // Compiled, yet at home: the module's own location, and the source in its stack trace.
    expect(first.where).toBe(pathToFileURL(path.join(root, 'cli', 'main.ts')).href);
    expect(first.stack).toContain(`${path.join(root, 'cli', 'main.ts')}:3:`);
    const [build] = builds(root);
    expect(build).toBeDefined();
    expect(first.stack).not.toContain(build);
    // A short command starts without parsing source maps: its stack names the compiled chunk.
    // A client-only one runs the self-contained bundle (packages bundled in), a worker never does.
    const bundle = path.join(root, 'node_modules', '.cache', 'daybreak', 'cli', build!, 'client', 'main.cjs');
    expect(first.stack).not.toContain(bundle);
    const short = daybreak(root, {}, ['status']);
    expect(short.where).toBe(first.where);
    expect(short.stack).toContain(bundle);
    expect(daybreak(root, {}, ['run', 'x', '--embedded']).stack).not.toContain(bundle);
    // The bundle leaves a V8 code cache per command; the next start reads it and gives the same
    // answer, and a cache V8 rejects (here: garbage) is written again.
    const cache = `${bundle}.status.v8-cache`;
    expect(fs.statSync(cache).size).toBeGreaterThan(0);
    const cached = daybreak(root, {}, ['status']);
    expect([cached.message, cached.sep]).toEqual(['one', path.sep]);
    fs.writeFileSync(cache, 'not a code cache');
    expect(daybreak(root, {}, ['status']).message).toBe('one');
    expect(fs.readFileSync(cache, 'utf8')).not.toBe('not a code cache');

    expect(daybreak(root).message).toBe('one');
    expect(builds(root)).toEqual([build]);

    fs.writeFileSync(path.join(root, 'lib', 'message.ts'), "export const message: string = 'two';\n");
    expect(daybreak(root).message).toBe('two');
    expect(builds(root)).toHaveLength(2);

    // The sources themselves, through tsx, when compiling is turned off.
    fs.writeFileSync(path.join(root, 'lib', 'message.ts'), "export const message: string = 'three';\n");
    const sources = daybreak(root, { DAYBREAK_COMPILE: '0' });
    expect(sources.message).toBe('three');
    expect(sources.where).toBe(first.where);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
