// What `docker build .` would send as its context: the repository's files (tracked or not
// ignored by git) minus what .dockerignore excludes, with Docker's rules: patterns are anchored at
// the context root, a pattern matching a folder excludes everything under it, `!` re-includes,
// and the last matching pattern wins.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { REPO_ROOT } from './compose.js';

interface Rule {
  match: (p: string) => boolean;
  include: boolean;
}

export function dockerignoreRules(text: string): Rule[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = path.posix.normalize((include ? line.slice(1) : line).replace(/^\/+/, ''));
      return { match: picomatch(pattern, { dot: true }), include };
    });
}

/** True when `file` (relative, posix) is excluded from the build context. */
export function isIgnored(rules: Rule[], file: string): boolean {
  const parts = file.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.match(c))) ignored = !rule.include;
  }
  return ignored;
}

export function dockerContextFiles(root = REPO_ROOT): string[] {
  const rules = dockerignoreRules(fs.readFileSync(path.join(root, '.dockerignore'), 'utf8'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(Boolean)
    .filter((f) => fs.existsSync(path.join(root, f)));
  return files.filter((f) => !isIgnored(rules, f));
}

/** Copies the build context of `root` into `dest`. */
export function copyDockerContext(dest: string, root = REPO_ROOT): string[] {
  const files = dockerContextFiles(root);
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(dest, file));
  }
  return files;
}
