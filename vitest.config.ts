// Two tiers, both run by `npm test` (`vitest run`):
// - unit: no services and no system tools (pure code, DuckDB in-process); under a minute.
//   `npm run test:unit`. A test listed here must not need the global setup.
// - integration: everything else, on real services: the global setup first provisions every tool
//   the tests drive (test/global-setup.ts) and starts the suite's Temporal dev server.
import { defineConfig } from 'vitest/config';

const UNIT_TESTS = [
  'test/lib/*.test.ts',
  'test/lib/address/**/*.test.ts',
  'test/lib/identity/**/*.test.ts',
  'test/lib/quality/**/*.test.ts',
  'test/lib/sql-pipelines/**/*.test.ts',
  'test/pipelines/params.test.ts',
  'test/pipelines/readme.test.ts',
  'test/lib/features/encoding.test.ts',
  'test/datagen/**/*.test.ts',
  'test/devstack/**/*.test.ts',
  'test/bin/**/*.test.ts',
  'test/activities/identity-join/plan.test.ts',
  'test/activities/session-ranking/helpers.test.ts',
  'test/activities/session-ranking/map-sql.test.ts',
  'test/alerts/content.test.ts',
  'test/alerts/slack.test.ts',
  'test/api/tokens.test.ts',
  'test/schedules/dag-and-dates.test.ts',
];

export default defineConfig({
  test: {
    // Native addons (DuckDB, Temporal core) are happiest in child processes.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 300_000,
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_TESTS } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: UNIT_TESTS,
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
