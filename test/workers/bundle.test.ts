// The prebuilt workflow bundle: `writeWorkflowBundle` writes what workers load through
// DAYBREAK_WORKFLOW_BUNDLE; a path with no file is a configuration error naming the variable.
// (A worker running on a prebuilt bundle is exercised from a production install in
// test/deploy/image.test.ts.)
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ConfigError } from '../../lib/config.js';
import { workflowBundleFor, writeWorkflowBundle } from '../../workers/bundle.js';
import { tempDir } from '../helpers/temporal.js';

test('a written bundle is what DAYBREAK_WORKFLOW_BUNDLE hands the worker', async () => {
  const out = path.join(tempDir('bundle'), 'nested', 'workflow-bundle.js');
  const bytes = await writeWorkflowBundle(out);
  expect(fs.statSync(out).size).toBe(bytes);
  const code = fs.readFileSync(out, 'utf8');
  // The pipelines' workflows and the alerting interceptor are in it.
  for (const name of ['sessionRanking', 'identityJoin', 'daily', 'AlertingInterceptor'])
    expect(code).toContain(name);
  expect(fs.readdirSync(path.dirname(out))).toEqual(['workflow-bundle.js']);
  expect(await workflowBundleFor({ DAYBREAK_WORKFLOW_BUNDLE: out })).toEqual({ codePath: out });
  // Unset: the process bundles its own.
  expect(await workflowBundleFor({})).toHaveProperty('code');
}, 120_000);

test('a DAYBREAK_WORKFLOW_BUNDLE without a file stops the worker with the variable named', async () => {
  const missing = path.join(tempDir('bundle-missing'), 'nope.js');
  const err = await workflowBundleFor({ DAYBREAK_WORKFLOW_BUNDLE: missing }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toBe(
    `DAYBREAK_WORKFLOW_BUNDLE: no file at ${missing} (build one with "daybreak bundle --out ${missing}", or unset it to bundle at start)`,
  );
});
