// Workflow code changes must not break runs already open: a history recorded by an older
// session-ranking (plan -> experts -> maps -> reduces -> publish, before the maps read the profile
// themselves) replays deterministically with today's bundle, taking the old branch of its patch.
// The history was captured from commit 42b166e with `temporal workflow show -o json` after a run
// over 4,000 generated sessions with 2 shards.
import fs from 'node:fs/promises';
import { expect, test } from 'vitest';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../workers/bundle.js';

const fixture = new URL('../fixtures/session-ranking-history-with-experts-step.json', import.meta.url);

test('a run recorded with the experts step replays on the current workflow code', async () => {
  // As exported (proto JSON); runReplayHistory converts it.
  const history = JSON.parse(await fs.readFile(fixture, 'utf8')) as {
    events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
  };
  const scheduled = history.events.flatMap(
    (e) => e.activityTaskScheduledEventAttributes?.activityType.name ?? [],
  );
  expect(scheduled.slice(0, 2)).toEqual(['planSessionRanking', 'extractSessionExperts']);
  await expect(
    Worker.runReplayHistory(
      { workflowBundle: await workflowBundle() },
      history,
      'session-ranking/2025-06-01',
    ),
  ).resolves.toBeUndefined();
}, 120_000);
