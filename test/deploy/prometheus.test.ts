// The monitoring files the stack mounts pass the real tools: `promtool check config` on the
// Prometheus config with its rule_files resolved through the compose mounts, `promtool check
// rules` on every mounted rule file, `amtool check-config` on Alertmanager's config. Every alert
// has an entry in the on-call guide.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT, exampleCompose, mounts, type Mount } from '../helpers/compose.js';

const { promtool: PROMTOOL, amtool: AMTOOL } = inject('tools');
const compose = exampleCompose();
const promMounts = mounts(compose.services.prometheus!).filter((m) => m.kind === 'bind');
const amMounts = mounts(compose.services.alertmanager!).filter((m) => m.kind === 'bind');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'daybreak-prom-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The host path behind a container path, through the service's bind mounts. */
function hostPath(binds: Mount[], containerPath: string): string {
  const mount = binds
    .filter((m) => containerPath === m.target || containerPath.startsWith(m.target + '/'))
    .sort((a, b) => b.target.length - a.target.length)[0];
  expect(mount, `${containerPath} is not under a bind mount`).toBeDefined();
  return path.join(path.resolve(REPO_ROOT, mount!.source), containerPath.slice(mount!.target.length));
}

function flagValue(args: string[], flag: string): string {
  const arg = args.find((a) => a.startsWith(`${flag}=`));
  expect(arg, flag).toBeDefined();
  return arg!.slice(flag.length + 1);
}

function run(binary: string, args: string[]) {
  const res = spawnSync(binary, args, { encoding: 'utf8' });
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

const promArgs = compose.services.prometheus!.command as string[];
const promConfigFile = hostPath(promMounts, flagValue(promArgs, '--config.file'));
const promConfig = YAML.parse(fs.readFileSync(promConfigFile, 'utf8')) as { rule_files: string[] };
/** rule_files globs as the container sees them, translated to the repository. */
const ruleGlobs = promConfig.rule_files.map((glob) => hostPath(promMounts, glob));
const ruleFiles = ruleGlobs.flatMap((glob) => {
  const dir = path.dirname(glob);
  const pattern = new RegExp(`^${path.basename(glob).replaceAll('.', '\\.').replaceAll('*', '.*')}$`);
  return fs
    .readdirSync(dir)
    .filter((f) => pattern.test(f))
    .map((f) => path.join(dir, f));
});

describe('Prometheus', () => {
  test('the mounted rule folder has rule files', () => {
    expect(ruleFiles.length).toBeGreaterThanOrEqual(1);
  });

  test('promtool check config passes and loads every mounted rule file', () => {
    // Same config, rule_files pointed at the repository's copies of the mounted folder.
    const copy = path.join(work, 'prometheus.yml');
    fs.writeFileSync(copy, YAML.stringify({ ...promConfig, rule_files: ruleGlobs }));
    const res = run(PROMTOOL, ['check', 'config', copy]);
    expect(res.out, res.out).toContain('SUCCESS');
    expect(res.code, res.out).toBe(0);
    expect(res.out).toContain(`SUCCESS: ${ruleFiles.length} rule files found`);
  });

  test('promtool check config rejects a broken config (the check can fail)', () => {
    const copy = path.join(work, 'broken.yml');
    fs.writeFileSync(
      copy,
      YAML.stringify({ ...promConfig, rule_files: ruleGlobs, global: { scrape_interval: 'soon' } }),
    );
    const res = run(PROMTOOL, ['check', 'config', copy]);
    expect(res.code, res.out).not.toBe(0);
  });

  test.each(ruleFiles.map((f) => [path.relative(REPO_ROOT, f)]))('promtool check rules %s', (file) => {
    const res = run(PROMTOOL, ['check', 'rules', path.join(REPO_ROOT, file)]);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toMatch(/SUCCESS: \d+ rules found/);
  });

  test('rule unit tests beside the mounted rules pass (promtool test rules), and are not loaded as rules', () => {
    const dir = path.dirname(ruleGlobs[0]!);
    const unitTests = fs.readdirSync(dir).filter((f) => f.endsWith('.test.yml'));
    expect(unitTests.length).toBeGreaterThanOrEqual(1);
    for (const file of unitTests) {
      expect(ruleFiles).not.toContain(path.join(dir, file));
      const res = run(PROMTOOL, ['test', 'rules', path.join(dir, file)]);
      expect(res.code, res.out).toBe(0);
    }
  });

  test('every alert has a section in docs/operations.md', () => {
    const guide = fs.readFileSync(path.join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    const headings = new Set([...guide.matchAll(/^#{2,4} .*?`?(\w+)`?\s*$/gm)].map((m) => m[1]));
    const alerts = ruleFiles.flatMap((file) => {
      const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { groups: { rules: { alert?: string }[] }[] };
      return doc.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    });
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    for (const alert of alerts)
      expect(headings.has(alert), `docs/operations.md has no heading for ${alert}`).toBe(true);
  });
});

describe('Alertmanager', () => {
  const amArgs = compose.services.alertmanager!.command as string[];
  const amConfigFile = hostPath(amMounts, flagValue(amArgs, '--config.file'));

  test('amtool check-config passes on the mounted config', () => {
    const res = run(AMTOOL, ['check-config', amConfigFile]);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toContain('SUCCESS');
  });

  test('alerts route to on-call email through the stack mail catcher', () => {
    const receiver = execFileSync(
      AMTOOL,
      [
        'config',
        'routes',
        'test',
        `--config.file=${amConfigFile}`,
        'alertname=DaybreakApiDown',
        'severity=critical',
      ],
      { encoding: 'utf8' },
    );
    expect(receiver.trim()).toBe('oncall-email');
    const config = YAML.parse(fs.readFileSync(amConfigFile, 'utf8')) as {
      global: { smtp_smarthost: string };
    };
    const [host, port] = config.global.smtp_smarthost.split(':');
    expect(compose.services[host!], `${host} is not a compose service`).toBeDefined();
    expect(port).toBe('1025'); // mailpit's SMTP port
  });
});
