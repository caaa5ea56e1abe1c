// The workflow bundle (webpack) is built once per process and shared by every worker in it, or
// prebuilt into a file (`daybreak bundle`, done by the image build) that workers load instead:
// no webpack at start (~0.9 s and ~50 MB of heap per worker process).
import { createHash } from 'node:crypto';
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
 * the root-cause rethrow, so the run's failure message is the cause, not "Activity task failed";
 * and the activity summaries' link to each step's log.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  fileURLToPath(new URL('../workflows/interceptors/alerting.ts', import.meta.url)),
  fileURLToPath(new URL('../workflows/interceptors/root-cause.ts', import.meta.url)),
  fileURLToPath(new URL('../workflows/interceptors/log-summary.ts', import.meta.url)),
];

const cached = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/**
 * The entry module of a bundle with `extraModules` (absolute paths, e.g. a test's own pipeline
 * workflows) beside the product's workflows: a generated file re-exporting all of them.
 */
async function entryWith(extraModules: readonly string[]): Promise<string> {
  if (!extraModules.length) return WORKFLOWS_PATH;
  const lines = [WORKFLOWS_PATH, ...extraModules].map((m) => `export * from ${JSON.stringify(m)};`);
  const code = `${lines.join('\n')}\n`;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
  // Inside the project, so webpack resolves the SDK's own modules from its node_modules.
  const dir = fileURLToPath(new URL('../node_modules/.cache/daybreak', import.meta.url));
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `workflows-${hash}.ts`);
  await fs.writeFile(file, code);
  return file;
}

/** The workflows, bundled once per process (per set of extra workflow modules). */
export function workflowBundle(extraModules: readonly string[] = []): Promise<WorkflowBundleWithSourceMap> {
  const key = extraModules.join('\0');
  let bundle = cached.get(key);
  if (!bundle) {
    bundle = entryWith(extraModules).then((workflowsPath) =>
      bundleWorkflowCode({
        workflowsPath,
        workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
        logger: quietBundlerLogger,
      }),
    );
    cached.set(key, bundle);
  }
  return bundle;
}

/** The prebuilt bundle `DAYBREAK_WORKFLOW_BUNDLE` names, else this process's own. */
export async function workflowBundleFor(
  config: Pick<Config, 'DAYBREAK_WORKFLOW_BUNDLE'>,
  extraModules: readonly string[] = [],
): Promise<WorkflowBundleWithSourceMap | WorkflowBundlePath> {
  const codePath = config.DAYBREAK_WORKFLOW_BUNDLE;
  // A test's extra workflows are never in a prebuilt bundle.
  if (codePath === undefined || extraModules.length) return workflowBundle(extraModules);
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
