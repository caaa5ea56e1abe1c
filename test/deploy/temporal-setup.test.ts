// The stack's Temporal one-shots. setup-namespace.sh runs for real (the `temporal` CLI, against
// the suite's dev server, with the environment docker-compose.yml gives it): it creates the
// namespace with its retention and the search attributes runs set, and a second run changes
// nothing. setup-schema.sh needs PostgreSQL and temporal-sql-tool, so it is only parsed here.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, inject, test } from 'vitest';
import { Connection } from '@temporalio/client';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../../devstack/dev-server.js';
import { REPO_ROOT, exampleCompose, mounts, serviceEnvironment } from '../helpers/compose.js';

const run = promisify(execFile);
const compose = exampleCompose();

/** The host script a one-shot runs: its command, through its bind mounts. */
function scriptOf(serviceName: string): string {
  const service = compose.services[serviceName]!;
  const [script] = service.command as string[];
  const mount = mounts(service).find((m) => m.target === script);
  expect(mount, `${serviceName}: ${script} is not mounted`).toBeDefined();
  return path.resolve(REPO_ROOT, mount!.source);
}

test.each([['temporal-schema'], ['temporal-setup']])('%s: its script is valid POSIX sh', async (name) => {
  expect(compose.services[name]!.entrypoint).toEqual(['/bin/sh']);
  await run('sh', ['-n', scriptOf(name)]);
});

test('temporal-setup creates the namespace and search attributes, and is idempotent', async () => {
  const address = inject('temporalAddress');
  const namespace = `setup-${randomUUID().slice(0, 8)}`;
  const env: Record<string, string | undefined> = {
    ...serviceEnvironment(compose.services['temporal-setup']!),
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    PATH: `${path.dirname(inject('temporalCli'))}:${process.env.PATH}`,
    HOME: process.env.HOME,
  };
  expect(env.TEMPORAL_NAMESPACE_RETENTION).toBe('30d');
  const script = scriptOf('temporal-setup');
  const first = await run('sh', [script], { env });
  expect(first.stdout).toContain(`namespace ${namespace} created (retention 30d)`);
  for (const name of Object.keys(DEV_SERVER_SEARCH_ATTRIBUTES))
    expect(first.stdout).toContain(`search attribute ${name} (`);

  const connection = await Connection.connect({ address });
  try {
    const ns = await connection.workflowService.describeNamespace({ namespace });
    expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 24 * 3600);
    const attrs = await connection.operatorService.listSearchAttributes({ namespace });
    // IndexedValueType: 2 = KEYWORD, 6 = DATETIME, as the dev server registers them for `default`.
    expect(attrs.customAttributes?.Pipeline).toBe(2);
    expect(attrs.customAttributes?.RunDate).toBe(6);
  } finally {
    await connection.close();
  }

  const second = await run('sh', [script], { env });
  expect(second.stdout).toContain(`namespace ${namespace} exists`);
  expect(second.stdout).toContain('search attribute Pipeline exists');
  expect(second.stdout).toContain('search attribute RunDate exists');
}, 120_000);

test('temporal-setup gives up with a clear error when the server never answers', async () => {
  const env = {
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    SETUP_MAX_ATTEMPTS: '2',
    SETUP_SLEEP_SECONDS: '0',
    PATH: `${path.dirname(inject('temporalCli'))}:${process.env.PATH}`,
    HOME: process.env.HOME,
  };
  const err = await run('sh', [scriptOf('temporal-setup')], { env }).then(
    () => undefined,
    (e: { code: number; stderr: string }) => e,
  );
  expect(err?.code).toBe(1);
  expect(err?.stderr).toContain("'temporal operator cluster health --address 127.0.0.1:1' failed 2 times");
}, 60_000);
