#!/usr/bin/env node
// The container health probe (Dockerfile HEALTHCHECK): `daybreak healthcheck` without loading the
// rest of the CLI (DuckDB, the Temporal worker, webpack), so a probe every 30 s stays cheap.
// Compiled like bin/daybreak.js, or through tsx where no build can be made.
import { compiledEntry } from './compile.js';

const compiled = await compiledEntry('cli/commands/healthcheck.ts');
const { healthcheckCommand } = compiled
  ? await import(compiled)
  : await import('tsx/esm/api').then(({ register }) => {
      register();
      return import('../cli/commands/healthcheck.ts');
    });
await healthcheckCommand().parseAsync(process.argv);
