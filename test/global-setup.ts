// One Temporal dev server for the whole suite (in memory, headless, free port). Test files that
// need their own server (restarts, the Web UI) start one themselves.
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../devstack/dev-server.js';
import { findOrBuildTemporalCli } from '../devstack/temporal-cli.js';

let server: DevServer | undefined;

export default async function setup(project: TestProject) {
  const cacheDir = process.env.DAYBREAK_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'daybreak');
  const binary = await findOrBuildTemporalCli({ explicitPath: process.env.TEMPORAL_CLI, cacheDir });
  server = await startDevServer({
    binary,
    headless: true,
    logFile: path.join(os.tmpdir(), 'daybreak-test-temporal.log'),
  });
  project.provide('temporalCli', binary);
  project.provide('temporalAddress', server.address);
  return async () => {
    await server?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    temporalCli: string;
    temporalAddress: string;
  }
}
