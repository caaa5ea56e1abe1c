// Runs planned before the shuffle must finish on the path they planned: a history recorded by the
// bucketed identity-join (plan -> hash DS2 into 2 buckets -> join each bucket against all of DS1
// -> publish; no `shuffle` in its plan) replays deterministically with today's bundle. The history
// was captured from commit 539ff6c with `temporal workflow show -o json` after a run over 3,000
// generated events with shards=2.
import fs from 'node:fs/promises';
import { expect, test } from 'vitest';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../../workers/bundle.js';

const fixture = new URL('../fixtures/identity-join-history-bucketed-without-shuffle.json', import.meta.url);

test('a run planned with bucketed joins over all of DS1 replays on the current workflow code', async () => {
  const history = JSON.parse(await fs.readFile(fixture, 'utf8')) as {
    events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
  };
  const scheduled = history.events.flatMap(
    (e) => e.activityTaskScheduledEventAttributes?.activityType.name ?? [],
  );
  expect(scheduled.slice(0, 4)).toEqual([
    'planIdentityJoin',
    'hashDs2Group',
    'joinIdentityShard',
    'joinIdentityShard',
  ]);
  await expect(
    Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'identity-join/2025-06-01'),
  ).resolves.toBeUndefined();
}, 120_000);
