#!/usr/bin/env node
// The `daybreak` command. Daybreak runs its TypeScript sources directly through tsx (no build step),
// so the CLI, the worker and the tests all execute the same files.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
