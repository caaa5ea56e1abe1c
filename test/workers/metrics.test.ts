// /metrics is scraped over HTTP during and after a real run: run, activity, rows and last-success
// figures move as expected; the gauge is seeded from published manifests; the Temporal SDK's
// exporter serves its own metrics with Prometheus naming.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateSessionRanking } from '../../datagen/session-ranking.js';
import type { SessionRankingResult } from '../../activities/session-ranking/types.js';
import { freePort } from '../../devstack/dev-server.js';
import { publishLocalFiles } from '../../lib/storage/publish.js';
import { startRun } from '../../pipelines/runs.js';
import { seedLastSuccess, startMetricsServer, type MetricsServer } from '../../workers/metrics-server.js';
import { startTestWorker, tempDir, testConfig, type TestWorker } from '../helpers/temporal.js';

let env: TestWorker;
let metrics: MetricsServer;
let sdkPort: number;
let data: string;

beforeAll(async () => {
  sdkPort = await freePort();
  const config = testConfig({ METRICS_HOST: '127.0.0.1', TEMPORAL_METRICS_PORT: String(sdkPort) });
  data = tempDir('metrics');
  await generateSessionRanking({ rows: 60_000, users: 3_000, seed: 11, out: data, year: 2024 });
  // A success published before this worker started (an older date of the same pipeline).
  const prefix = path.join(config.DAYBREAK_DATA_ROOT, 'curated', 'session-ranking', 'dt=2024-06-01');
  fs.mkdirSync(prefix, { recursive: true });
  const file = path.join(tempDir('metrics-file'), 'ranking.json');
  fs.writeFileSync(file, '{}');
  await publishLocalFiles(prefix, { pipeline: 'session-ranking', runDate: '2024-06-01' }, [
    { localPath: file, name: 'ranking.json', rows: 0 },
  ]);
  env = await startTestWorker(config);
  metrics = await startMetricsServer(config, 0);
});
afterAll(async () => {
  await metrics?.close();
  await env?.stop();
});

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** Sum of the samples of `name` whose labels include `labels`. */
function value(body: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

test('last-success gauge is seeded from published manifests', async () => {
  const seeded = await seedLastSuccess(env.config);
  const manifest = JSON.parse(
    fs.readFileSync(
      path.join(env.config.DAYBREAK_DATA_ROOT, 'curated/session-ranking/dt=2024-06-01/_SUCCESS'),
      'utf8',
    ),
  ) as { createdAt: string };
  expect(seeded).toEqual({ 'session-ranking': manifest.createdAt });
  const body = await scrape(metrics.port);
  expect(
    value(body, 'daybreak_pipeline_last_success_timestamp_seconds', { pipeline: 'session-ranking' }),
  ).toBe(new Date(manifest.createdAt).getTime() / 1000);
});

test('counters move during and after a run', async () => {
  const sr = { pipeline: 'session-ranking' };
  const before = await scrape(metrics.port);
  const handle = await startRun({
    client: env.client,
    config: env.config,
    pipeline: 'session-ranking',
    runDate: '2024-12-31',
    rawParams: {
      activity: path.join(data, 'user_activity'),
      profile: path.join(data, 'user_profile'),
      output: path.join(data, 'out'),
      shards: '2',
    },
  });
  const done = handle.result() as Promise<SessionRankingResult>;
  let finished = false;
  void done.finally(() => (finished = true));
  // Scrape while the run is going: the start is counted, the success not yet.
  let during: string | undefined;
  while (!finished) {
    const body = await scrape(metrics.port);
    if (value(body, 'daybreak_runs_started_total', sr) > value(before, 'daybreak_runs_started_total', sr)) {
      const status = (await handle.describe()).status.name;
      if (status === 'RUNNING') during = body;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const result = await done;
  expect(during, 'a scrape while the run was going').toBeDefined();
  expect(value(during!, 'daybreak_runs_succeeded_total', sr)).toBe(
    value(before, 'daybreak_runs_succeeded_total', sr),
  );

  const after = await scrape(metrics.port);
  const delta = (name: string, labels: Record<string, string> = sr) =>
    value(after, name, labels) - value(before, name, labels);
  expect(delta('daybreak_runs_started_total')).toBe(1);
  expect(delta('daybreak_runs_succeeded_total')).toBe(1);
  expect(delta('daybreak_runs_failed_total')).toBe(0);
  expect(delta('daybreak_rows_processed_total')).toBe(result.inputRows);
  expect(result.inputRows).toBe(60_000);
  const activity = (a: string) => ({ activity: a, pipeline: 'session-ranking', outcome: 'success' });
  expect(delta('daybreak_activity_duration_seconds_count', activity('planSessionRanking'))).toBe(1);
  expect(
    delta('daybreak_activity_duration_seconds_count', activity('mapSessionFiles')),
  ).toBeGreaterThanOrEqual(2);
  expect(delta('daybreak_activity_duration_seconds_count', activity('reduceSessionBucket'))).toBe(2);
  expect(delta('daybreak_activity_duration_seconds_sum', activity('mapSessionFiles'))).toBeGreaterThan(0);
  const lastSuccess = value(after, 'daybreak_pipeline_last_success_timestamp_seconds', sr);
  expect(Math.abs(lastSuccess - Date.now() / 1000)).toBeLessThan(30);
  // Bounded labels: no ids, dates or messages anywhere in label values.
  expect(after).not.toMatch(/="[^"]*(2024-12-31|session-ranking\/)/);

  const sdk = await scrape(sdkPort);
  expect(value(sdk, 'temporal_workflow_completed_total')).toBeGreaterThanOrEqual(1);
  expect(sdk).toMatch(/^temporal_activity_execution_latency_seconds_bucket\{/m);
  expect(sdk).not.toMatch(/_milliseconds/);
});
