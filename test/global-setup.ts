// Before any integration test: provision every tool the tests drive (devstack/provision.ts: found,
// or installed with apt-get / Go; otherwise one message naming each missing tool and its install
// command, and no test runs), compile the CLI once (bin/compile.js; the tests' `daybreak` child
// processes then start from it instead of all building it at once), then one Temporal dev server
// for the whole suite (in memory, headless, free port). Test files that need their own server
// (restarts, the Web UI) start one.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../lib/config.js';
import { startDevServer, type DevServer } from '../devstack/dev-server.js';
import { ALL_TOOLS, provision, ProvisionError, type ToolName } from '../devstack/provision.js';

let server: DevServer | undefined;

export default async function setup(project: TestProject) {
  const config = loadConfig();
  let tools: Record<ToolName, string>;
  try {
    tools = await provision({
      tools: ALL_TOOLS,
      install: config.DAYBREAK_PROVISION,
      cacheDir: config.DAYBREAK_CACHE_DIR,
      temporalCli: config.TEMPORAL_CLI,
    });
  } catch (err) {
    if (!(err instanceof ProvisionError)) throw err;
    // One message and out: a stack trace would bury the list of commands.
    process.stderr.write(`\ndaybreak: ${err.message}\n\n`);
    process.exit(1);
  }
  execFileSync(process.execPath, ['bin/compile.js'], { stdio: 'inherit' });
  server = await startDevServer({
    binary: tools.temporal,
    headless: true,
    logFile: path.join(os.tmpdir(), 'daybreak-test-temporal.log'),
  });
  project.provide('tools', tools);
  project.provide('temporalCli', tools.temporal);
  project.provide('temporalAddress', server.address);
  return async () => {
    await server?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each provisioned tool is (redis-server, promtool, amtool, chromium, temporal, fake-gcs-server). */
    tools: Record<ToolName, string>;
    temporalCli: string;
    temporalAddress: string;
  }
}
