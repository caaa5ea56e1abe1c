// A real browser on the Temporal Web UI: our own dev server WITH the UI, a session-ranking run that
// fails on a missing input, then headless Debian Chromium (playwright-core, no browser download)
// finds the run through the `Pipeline` search attribute, opens its history and must show the
// workflow id and the failure's root-cause message. A screenshot goes to test-artifacts/.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startDevServer, type DevServer } from '../../devstack/dev-server.js';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import { PIPELINES } from '../../pipelines/index.js';
import { buildParams } from '../../pipelines/params.js';
import { runSearchAttributes } from '../../lib/contracts/search-attributes.js';
import { describeRunFailure, waitForRun } from '../../lib/runs.js';
import { startRun } from '../../pipelines/runs.js';
import type { DailyBranch } from '../../lib/contracts/daily.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

const ARTIFACTS = path.resolve('test-artifacts');
let server: DevServer;
let env: TestWorker;
let browser: Browser;

beforeAll(async () => {
  server = await startDevServer({
    binary: inject('temporalCli'),
    headless: false,
    logFile: path.join(tempDir('web-ui-server'), 'temporal.log'),
  });
  env = await startTestWorker(
    testConfig({ TEMPORAL_ADDRESS: server.address, TEMPORAL_UI_URL: server.uiUrl! }),
  );
  browser = await chromium.launch({
    executablePath: inject('tools').chromium,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await env?.stop();
  await server?.stop();
});

test('a failed run is found by Pipeline in the Web UI and its history shows the id and the cause', async () => {
  const missing = path.join(tempDir('web-ui'), 'user_activity');
  const handle = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'session-ranking',
    runDate: '2016-06-06',
    rawParams: { activity: missing, profile: missing },
  });
  const failure = await waitForRun(handle).then(
    () => 'completed',
    (err: unknown) => describeRunFailure(err),
  );
  const cause = `no user_activity Parquet files found at ${missing}`;
  expect(failure).toBe(`MissingInput: ${cause}`);

  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const query = encodeURIComponent('Pipeline="session-ranking"');
  const listUrl = `${server.uiUrl}/namespaces/default/workflows?query=${query}`;
  // Visibility is eventually consistent: reload the filtered list until the run shows.
  const link = page.locator(`a[href*="${encodeURIComponent(handle.workflowId)}"]`).first();
  for (let i = 0; ; i++) {
    await page.goto(listUrl, { waitUntil: 'domcontentloaded' });
    try {
      await link.waitFor({ timeout: 10_000 });
      break;
    } catch (err) {
      if (i >= 5) throw err;
    }
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'web-ui-list.png'), fullPage: true });
  await link.click();
  await page.waitForURL(/\/history/, { timeout: 30_000 });
  await page.getByText(cause).first().waitFor({ timeout: 30_000 });
  const text = await page.locator('body').innerText();
  expect(text).toContain(handle.workflowId);
  expect(text).toContain(cause);
  // The run's own failure message is the cause, not "Activity task failed" (the wrapper sits below it).
  expect(text).toMatch(/"failure": \{\s*"message": "no user_activity Parquet files found at /);
  expect(page.url()).toContain(
    `/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}/history`,
  );
  await page.screenshot({ path: path.join(ARTIFACTS, 'web-ui-failed-run.png'), fullPage: true });
  expect(fs.statSync(path.join(ARTIFACTS, 'web-ui-failed-run.png')).size).toBeGreaterThan(10_000);

  // The activity's summary is on the timeline, and the search attributes are on their tab.
  expect(text).toContain(`plan: list ${missing}`);
  await page
    .getByRole('link', { name: 'Search Attributes' })
    .or(page.getByText('Search Attributes', { exact: true }))
    .first()
    .click();
  await page.getByText('RunDate').first().waitFor({ timeout: 15_000 });
  const attributes = await page.locator('body').innerText();
  expect(attributes).toContain('session-ranking');
  expect(attributes).toMatch(/2016-06-06/);
  await page.screenshot({ path: path.join(ARTIFACTS, 'web-ui-search-attributes.png'), fullPage: true });
});

test('a DAG run in the Web UI: the failure lists each failed child with its cause, children are linked', async () => {
  const data = tempDir('web-ui-dag');
  await generateSessionRanking({ rows: 1_000, users: 100, seed: 9, out: data, year: 2016 });
  const def = PIPELINES.get('session-ranking');
  const branch = (name: string, activity: string): DailyBranch => ({
    pipeline: name,
    workflowType: def.workflow.name,
    params: buildParams(
      def,
      { activity, profile: path.join(data, 'user_profile'), output: path.join(data, name) },
      { config: env.config, runDate: '2016-07-07' },
    ),
    dependsOn: [],
    inputs: [],
  });
  const missing = path.join(data, 'missing');
  const handle = await env.client.workflow.start('daily', {
    taskQueue: env.config.DAYBREAK_TASK_QUEUE,
    workflowId: 'daily/2016-07-07',
    args: [
      {
        runDate: '2016-07-07',
        branches: [branch('ranking-ok', path.join(data, 'user_activity')), branch('ranking-bad', missing)],
      },
    ],
    typedSearchAttributes: runSearchAttributes('daily', '2016-07-07'),
  });
  await expect(handle.result()).rejects.toThrow();

  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(
    `${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}/history`,
  );
  const message = `ranking-bad failed: MissingInput: no user_activity Parquet files found at ${missing}`;
  await page.getByText(message).first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'web-ui-dag-failed.png'), fullPage: true });
  await page.getByText('Relationships', { exact: false }).first().click();
  // Both children are listed (rows may render one after the other on a busy machine).
  for (const child of ['ranking-ok/2016-07-07', 'ranking-bad/2016-07-07']) {
    await page.getByText(child).first().waitFor({ timeout: 15_000 });
  }
  expect(await page.locator('body').innerText()).toMatch(
    /ranking-(ok|bad)\/2016-07-07[\s\S]*ranking-(ok|bad)\/2016-07-07/,
  );
  await page.screenshot({ path: path.join(ARTIFACTS, 'web-ui-dag-children.png'), fullPage: true });
});
