// Static checks of the Dockerfile and its build context: multi-stage, a pinned Node 20 slim base
// that satisfies package.json's engines, production dependencies only, tini as PID 1, a non-root
// user, a HEALTHCHECK through a command the CLI has, and a context without secrets or tests.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/compose.js';
import { dockerContextFiles, dockerignoreRules, isIgnored } from '../helpers/docker-context.js';
import { ENTRY_POINTS } from './entry-points.js';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

const instructions = parseDockerfile(fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const globalArgs = new Map<string, string>();
for (const ins of instructions) {
  if (ins.op === 'FROM') break;
  if (ins.op === 'ARG') {
    const [name, value = ''] = ins.args.split('=');
    globalArgs.set(name!, value);
  }
}
const resolve = (s: string) => s.replace(/\$\{?(\w+)\}?/g, (_, n: string) => globalArgs.get(n) ?? '');

interface Stage {
  image: string;
  name?: string;
  body: Instruction[];
}
const stages: Stage[] = [];
for (const ins of instructions) {
  if (ins.op === 'FROM') {
    const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
    stages.push({ image: resolve(m[1]!), name: m[2], body: [] });
  } else stages.at(-1)?.body.push(ins);
}
const final = stages.at(-1)!;
const finalOps = (op: string) => final.body.filter((i) => i.op === op);
const execForm = (args: string) => JSON.parse(args) as string[];

describe('Dockerfile', () => {
  test('is multi-stage on a pinned node:20 bookworm-slim base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const aliases = new Set(stages.map((s) => s.name));
    for (const stage of stages.filter((s) => !aliases.has(s.image))) {
      expect(stage.image).toMatch(/^node:20\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
  });

  test("the base image's Node satisfies package.json engines", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    const [minMajor, minMinor] = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node)!.slice(1).map(Number);
    const [major, minor] = /^node:(\d+)\.(\d+)/.exec(final.image)!.slice(1).map(Number);
    expect(major! > minMajor! || (major === minMajor && minor! >= minMinor!), final.image).toBe(true);
  });

  test('installs production dependencies only, from the lockfile', () => {
    const runs = stages.flatMap((s) => s.body.filter((i) => i.op === 'RUN').map((i) => i.args));
    expect(runs.some((r) => /\bnpm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm (install|i)\b/.test(r))).toBe(false);
    const copies = stages.flatMap((s) => s.body.filter((i) => i.op === 'COPY').map((i) => i.args));
    expect(copies.some((c) => c.includes('package-lock.json'))).toBe(true);
    // The final stage takes node_modules from the install stage, not from the build context.
    expect(finalOps('COPY').some((c) => /--from=\w+ \/app\/node_modules/.test(c.args))).toBe(true);
  });

  test('runs as a non-root user', () => {
    const user = finalOps('USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  test('tini is PID 1 and forwards SIGTERM to the daybreak command', () => {
    const entrypoint = execForm(finalOps('ENTRYPOINT').at(-1)!.args);
    expect(entrypoint.slice(0, 4)).toEqual(['/usr/bin/tini', '--', 'node', 'bin/daybreak.js']);
    expect(finalOps('RUN').some((r) => /apt-get install .*\btini\b/.test(r.args))).toBe(true);
    const stop = finalOps('STOPSIGNAL').at(-1)?.args ?? 'SIGTERM';
    expect(stop).toBe('SIGTERM');
    expect(execForm(finalOps('CMD').at(-1)!.args)).toEqual(['worker']);
  });

  test('the final stage prebuilds the workflow bundle that DAYBREAK_WORKFLOW_BUNDLE names', () => {
    const build = finalOps('RUN').find((r) => /bin\/daybreak\.js bundle --out /.test(r.args));
    expect(build).toBeDefined();
    const out = /--out (\S+)/.exec(build!.args)![1]!;
    const env = finalOps('ENV')
      .map((e) => e.args)
      .join(' ');
    expect(env).toContain(`DAYBREAK_WORKFLOW_BUNDLE=${out}`);
    // Built after the sources are copied, so the bundle is of this image's workflows.
    const body = final.body;
    const lastCopy = body.findLastIndex((i) => i.op === 'COPY');
    expect(body.indexOf(build!)).toBeGreaterThan(lastCopy);
    expect(ENTRY_POINTS.some((e) => e.args[0] === 'bundle')).toBe(true);
  });

  test('HEALTHCHECK runs the light entry of `daybreak healthcheck`', () => {
    const hc = finalOps('HEALTHCHECK').at(-1);
    expect(hc).toBeDefined();
    const cmd = execForm(hc!.args.slice(hc!.args.indexOf('CMD') + 3).trim());
    expect(cmd).toEqual(['node', 'bin/healthcheck.js']);
    // bin/healthcheck.js runs the CLI's own healthcheck command, nothing else.
    const entry = fs.readFileSync(path.join(REPO_ROOT, 'bin/healthcheck.js'), 'utf8');
    expect(entry).toContain("import('../cli/commands/healthcheck.ts')");
    expect(ENTRY_POINTS.some((e) => e.args[0] === 'healthcheck')).toBe(true);
    expect(hc!.args).toMatch(/--start-period=\d+s/);
  });
});

describe('.dockerignore', () => {
  test('follows Docker matching: anchored patterns, folders, exceptions, last match wins', () => {
    const rules = dockerignoreRules('bench/*\n!bench/datagen\n*.log\ntest\n');
    expect(isIgnored(rules, 'bench/identity/run.ts')).toBe(true);
    expect(isIgnored(rules, 'bench/datagen/session-ranking.ts')).toBe(false);
    expect(isIgnored(rules, 'x.log')).toBe(true);
    expect(isIgnored(rules, 'lib/x.log')).toBe(false);
    expect(isIgnored(rules, 'test/deploy/a.test.ts')).toBe(true);
    expect(isIgnored(rules, 'lib/test.ts')).toBe(false);
  });

  test('the build context holds the sources and the lockfile, no secrets, tests or local state', () => {
    const files = dockerContextFiles();
    for (const needed of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'bin/daybreak.js',
      'cli/main.ts',
    ]) {
      expect(files).toContain(needed);
    }
    expect(files.some((f) => f.startsWith('workflows/'))).toBe(true);
    expect(files.some((f) => f.startsWith('activities/'))).toBe(true);
    const rules = dockerignoreRules(fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8'));
    for (const excluded of [
      '.env',
      '.git/config',
      'node_modules/x/index.js',
      '.daybreak/temporal.db',
      'test/a.test.ts',
    ]) {
      expect(isIgnored(rules, excluded), excluded).toBe(true);
    }
    expect(files.filter((f) => /^(test|docs|deploy)\//.test(f) || f.startsWith('.env'))).toEqual([]);
  });

  test('every source file the CLI and the workflow bundle import is in the context', () => {
    const context = new Set(dockerContextFiles());
    const seen = new Set<string>();
    // bin/daybreak.js loads the CLI; the worker bundles workflows/index.ts from its path at start.
    const queue = ['bin/daybreak.js', 'bin/healthcheck.js', 'workflows/index.ts'];
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      expect(context.has(file), `${file} is imported but excluded from the image`).toBe(true);
      const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
        const ts = target.replace(/\.js$/, '.ts');
        queue.push(fs.existsSync(path.join(REPO_ROOT, ts)) ? ts : target);
      }
    }
    expect(seen.size).toBeGreaterThan(30);
  });
});
