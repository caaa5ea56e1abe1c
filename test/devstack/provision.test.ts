// Provisioning (devstack/provision.ts): tools are found on PATH or in the cache folder, missing
// ones are installed with apt-get (as root) or Go, and what cannot be installed stops everything
// with one message naming each tool and its install command, before any test runs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { provision, ProvisionError } from '../../devstack/provision.js';

function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `provision-${label}-`));
}

function script(dir: string, name: string, body = 'exit 0'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

async function failure(run: Promise<unknown>): Promise<ProvisionError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProvisionError);
  return err as ProvisionError;
}

describe('provision', () => {
  test('finds system tools on PATH and Go tools in the cache folder', async () => {
    const bin = tempDir('bin');
    const cache = tempDir('cache');
    fs.mkdirSync(path.join(cache, 'bin'));
    const redis = script(bin, 'redis-server');
    const temporal = script(path.join(cache, 'bin'), 'temporal');
    const found = await provision({
      tools: ['redis-server', 'temporal'],
      install: false,
      cacheDir: cache,
      pathVar: bin,
    });
    expect(found).toEqual({ 'redis-server': redis, temporal });
  });

  test('with provisioning off, one message lists every missing tool and the command that installs it', async () => {
    const bin = tempDir('bin');
    script(bin, 'promtool');
    const cache = tempDir('cache');
    const err = await failure(
      provision({
        tools: ['redis-server', 'promtool', 'amtool', 'temporal'],
        install: false,
        cacheDir: cache,
        pathVar: bin,
        root: true,
      }),
    );
    const lines = err.message.split('\n');
    expect(lines[0]).toBe(
      '3 tools Daybreak needs are missing, and provisioning could not install them: it is turned off (DAYBREAK_PROVISION=false).',
    );
    expect(lines[1]).toMatch(/^ {2}redis-server +apt-get install -y redis-server {3}\(/);
    expect(lines[2]).toMatch(/^ {2}amtool +apt-get install -y prometheus-alertmanager {3}\(/);
    expect(lines[3]).toMatch(
      new RegExp(
        `^ {2}temporal +GOBIN=${cache}/bin go install github.com/temporalio/cli/cmd/temporal@v1\\.5\\.1 {3}\\(`,
      ),
    );
    expect(err.message).toContain(
      'Debian packages at once: apt-get update && apt-get install -y redis-server prometheus-alertmanager',
    );
    expect(err.message).not.toMatch(/^ {2}promtool/m);
  });

  test('not root: apt-get is not run, and the commands say sudo', async () => {
    const bin = tempDir('bin');
    const marker = path.join(bin, 'apt-ran');
    script(bin, 'apt-get', `touch ${marker}`);
    const err = await failure(
      provision({
        tools: ['chromium'],
        install: true,
        cacheDir: tempDir('cache'),
        pathVar: bin,
        root: false,
      }),
    );
    expect(err.message).toContain('could not install it: not running as root.');
    expect(err.message).toContain('sudo apt-get install -y chromium');
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('as root with apt-get: installs the missing packages, saying what it runs', async () => {
    const bin = tempDir('bin');
    const calls = path.join(bin, 'calls');
    // A stand-in apt-get that "installs" a package by putting its binary on PATH.
    script(
      bin,
      'apt-get',
      `echo "$*" >> ${calls}\nif [ "$1" = install ]; then for p in "$@"; do [ "$p" = redis-server ] && printf '#!/bin/sh\\n' > ${bin}/redis-server && chmod +x ${bin}/redis-server; done; fi; exit 0`,
    );
    const log: string[] = [];
    const found = await provision({
      tools: ['redis-server'],
      install: true,
      cacheDir: tempDir('cache'),
      pathVar: bin,
      root: true,
      log: (l) => log.push(l),
    });
    expect(found['redis-server']).toBe(path.join(bin, 'redis-server'));
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
      'update -qq',
      'install -y -qq redis-server',
    ]);
    expect(log[0]).toBe('installing redis-server (Debian packages redis-server) with apt-get');
    expect(log).toContain(`$ ${bin}/apt-get install -y -qq redis-server`);
  });

  test('a Go tool is built with go install into the cache folder', async () => {
    const bin = tempDir('bin');
    const cache = tempDir('cache');
    script(
      bin,
      'go',
      `[ "$1" = install ] && printf '#!/bin/sh\\n' > "$GOBIN/fake-gcs-server" && chmod +x "$GOBIN/fake-gcs-server"`,
    );
    const found = await provision({
      tools: ['fake-gcs-server'],
      install: true,
      cacheDir: cache,
      pathVar: bin,
      log: () => undefined,
    });
    expect(found['fake-gcs-server']).toBe(path.join(cache, 'bin', 'fake-gcs-server'));
  });
});

test('the test suite stops before any test when a tool is missing and provisioning is off', () => {
  // A PATH with node and the Debian tools but no redis-server, and an empty cache folder (so no
  // Temporal CLI or GCS emulator either).
  const bin = tempDir('path');
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  for (const tool of ['promtool', 'amtool', 'chromium']) script(bin, tool);
  const env: NodeJS.ProcessEnv = {
    HOME: os.homedir(),
    PATH: bin,
    DAYBREAK_PROVISION: 'false',
    DAYBREAK_CACHE_DIR: tempDir('cache'),
  };
  const res = spawnSync(
    process.execPath,
    ['node_modules/vitest/vitest.mjs', 'run', '--project', 'integration', 'test/lib/storage/gcs.test.ts'],
    { env, encoding: 'utf8', timeout: 120_000 },
  );
  const output = res.stdout + res.stderr;
  expect(res.status, output).toBe(1);
  expect(output).toContain(
    'daybreak: 3 tools Daybreak needs are missing, and provisioning could not install them: it is turned off (DAYBREAK_PROVISION=false).',
  );
  expect(output).toMatch(/^ {2}redis-server +apt-get install -y redis-server/m);
  expect(output).toMatch(/^ {2}temporal +GOBIN=.* go install github\.com\/temporalio\/cli/m);
  expect(output).toMatch(/^ {2}fake-gcs-server +GOBIN=.* go install github\.com\/fsouza\/fake-gcs-server/m);
  // No test ran: neither vitest's summary nor a stack trace.
  expect(output).not.toMatch(/tests: \d+ passed/);
  expect(output).not.toMatch(/\n\s+at /);
});
