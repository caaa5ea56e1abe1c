// The `daybreak` commands the image runs (docker-compose.yml) or an operator runs inside it. The
// deploy tests check each one from a production install (`npm ci --omit=dev`): `--help` for all,
// and a real start against the suite's Temporal dev server for those with `start`.
import type { Config } from '../../lib/config.js';
import type { HealthTarget } from '../../cli/commands/healthcheck.js';

export interface EntryPoint {
  args: string[];
  /** Ports (config variables) the running command listens on and Prometheus scrapes. */
  serves?: (keyof Config)[];
  /** Started for real: the stderr line that says it is up, and the probe its container uses. */
  start?: { ready: RegExp; healthcheck?: HealthTarget };
}

export const ENTRY_POINTS: EntryPoint[] = [
  {
    args: ['worker'],
    serves: ['METRICS_PORT', 'TEMPORAL_METRICS_PORT'],
    start: { ready: /polling/, healthcheck: 'metrics' },
  },
  { args: ['schedules', 'apply'] },
  { args: ['run'] },
  { args: ['up'] },
  { args: ['datagen'] },
  { args: ['tools'] },
  // Run by the image build (Dockerfile) to prebuild the workflow bundle.
  { args: ['bundle'] },
  { args: ['healthcheck'] },
  // Started for real (with its container probe) in test/api/api-command.test.ts.
  { args: ['api'], serves: ['API_PORT'] },
];

/**
 * Commands docker-compose.yml already runs whose implementation lands with another branch. The
 * image test asserts they are still unknown here, so it fails once they merge: then move each
 * line to ENTRY_POINTS (api with `start: { ready: /listening/, healthcheck: 'api' }` when it can
 * start without extra services).
 */
export const AWAITING_MERGE: EntryPoint[] = [];

export const ALL_ENTRY_POINTS = [...ENTRY_POINTS, ...AWAITING_MERGE];
