#!/usr/bin/env node
// The `daybreak` command: the CLI compiled to JavaScript (bin/compile.js; rebuilt first whenever a
// source changed), or its TypeScript sources through tsx where no build can be made. A command
// that only talks to a server runs the self-contained bundle with a code cache (bin/code-cache.js).
import { fileURLToPath } from 'node:url';
import { compiledEntry } from './compile.js';

const compiled = await compiledEntry('cli/main.ts');
if (compiled?.endsWith('.cjs')) {
  const { runWithCodeCache } = await import('./code-cache.js');
  runWithCodeCache(fileURLToPath(compiled));
} else if (compiled) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
