// The workflow bundle (webpack) is built once per process and shared by every worker in it, or
// prebuilt into a file (`daybreak bundle`, done by the image build) that workers load instead:
// no webpack at start (~0.9 s and ~50 MB of heap per worker process).
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  type WorkflowBundlePath,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { ConfigError, type Config } from '../lib/config.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/**
 * Interceptors wrapped around every workflow, outermost first: alerts, SLA and run metrics; then
 * the root-cause rethrow, so the run's failure message is the cause, not "Activity task failed".
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  fileURLToPath(new URL('../workflows/interceptors/alerting.ts', import.meta.url)),
  fileURLToPath(new URL('../workflows/interceptors/root-cause.ts', import.meta.url)),
];

let cached: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  cached ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
    logger: quietBundlerLogger,
  });
  return cached;
}

/** The prebuilt bundle `DAYBREAK_WORKFLOW_BUNDLE` names, else this process's own. */
export async function workflowBundleFor(
  config: Pick<Config, 'DAYBREAK_WORKFLOW_BUNDLE'>,
): Promise<WorkflowBundleWithSourceMap | WorkflowBundlePath> {
  const codePath = config.DAYBREAK_WORKFLOW_BUNDLE;
  if (codePath === undefined) return workflowBundle();
  const stat = await fs.stat(codePath).catch(() => undefined);
  if (!stat?.isFile()) {
    throw new ConfigError(
      `DAYBREAK_WORKFLOW_BUNDLE: no file at ${codePath} (build one with "daybreak bundle --out ${codePath}", or unset it to bundle at start)`,
    );
  }
  return { codePath: path.resolve(codePath) };
}

/** Bundles the workflows into `out` (written beside it, then renamed: never half a file). */
export async function writeWorkflowBundle(out: string): Promise<number> {
  const { code } = await workflowBundle();
  await fs.mkdir(path.dirname(path.resolve(out)), { recursive: true });
  const partial = `${out}.partial-${process.pid}`;
  await fs.writeFile(partial, code);
  await fs.rename(partial, out);
  return Buffer.byteLength(code);
}

const noop = () => undefined;
const quietBundlerLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string) => process.stderr.write(`workflow bundler: ${message}\n`),
  error: (message: string) => process.stderr.write(`workflow bundler: ${message}\n`),
};
