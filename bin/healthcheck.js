#!/usr/bin/env node
// The container health probe (Dockerfile HEALTHCHECK): `daybreak healthcheck` without loading the
// rest of the CLI (DuckDB, the Temporal worker, webpack), so a probe every 30 s stays cheap.
import { register } from 'tsx/esm/api';

register();
const { healthcheckCommand } = await import('../cli/commands/healthcheck.ts');
await healthcheckCommand().parseAsync(process.argv);
