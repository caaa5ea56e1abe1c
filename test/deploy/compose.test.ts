// Static, exact checks of docker-compose.yml (no Docker engine here): pinned images, health checks
// and start-up order, mounts, the Daybreak services' environment against lib/config.ts's own
// schema, memory budgets, host ports, and Prometheus' targets against the services' real ports.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { z } from 'zod';
import { envSchema, loadConfig, type Config } from '../../lib/config.js';
import {
  COMPOSE_FILE,
  ENV_EXAMPLE,
  REPO_ROOT,
  commandArgs,
  composeText,
  dependsOn,
  documentedVariables,
  exampleCompose,
  interpolate,
  loadCompose,
  mounts,
  parseBytes,
  parseDuration,
  parseEnvFile,
  publishedPorts,
  referencedVariables,
  serviceEnvironment,
  type ComposeService,
} from '../helpers/compose.js';
import { ALL_ENTRY_POINTS } from './entry-points.js';

const compose = exampleCompose();
const services = Object.entries(compose.services);
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

/** Services that run to completion; they are exempt from health checks and must not restart. */
const ONE_SHOTS = ['temporal-schema', 'temporal-setup', 'schedules'];

/** Services built from this repository: they run `daybreak <command>`. */
const daybreakServices = services.filter(([, s]) => s.build !== undefined);

/** Variables set on Daybreak containers that lib/config.ts does not read, and why. */
const NON_DAYBREAK_VARIABLES = new Set<string>([]);

/** Ports the third-party services serve metrics on, derived from their own settings. */
const THIRD_PARTY_METRICS: Record<string, (s: ComposeService) => number[]> = {
  temporal: (s) => [Number(serviceEnvironment(s).PROMETHEUS_ENDPOINT?.split(':').pop())],
  alertmanager: () => [9093],
  prometheus: () => [9090],
};

/** The variables envSchema requires: no default and not optional (parsing "unset" fails). */
export function requiredVariables(schema: z.ZodObject<z.ZodRawShape>): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([name]) => name);
}

/** Variables whose default points at this machine's loopback: wrong inside a container. */
function loopbackDefaults(): string[] {
  return Object.entries(envSchema.shape)
    .filter(([, field]) => {
      const parsed = (field as z.ZodType).safeParse(undefined);
      return parsed.success && typeof parsed.data === 'string' && /127\.0\.0\.1|localhost/.test(parsed.data);
    })
    .map(([name]) => name);
}

function daybreakConfig(service: ComposeService): Config {
  return loadConfig(serviceEnvironment(service));
}

function entryPointOf(service: ComposeService) {
  const args = commandArgs(service);
  return ALL_ENTRY_POINTS.find((e) => e.args.join(' ') === args.join(' '));
}

function hostOf(target: string): string {
  return target
    .replace(/^[a-z]+:\/\//, '')
    .replace(/^[^@]*@/, '')
    .split(/[:/]/)[0]!;
}

describe('the compose helper', () => {
  test('interpolates like compose: defaults, required variables, $$ escapes', () => {
    const env = { A: 'a', EMPTY: '' };
    expect(interpolate('${A}-${B:-b}-${EMPTY:-e}-${EMPTY-x}-$$HOME', env)).toBe('a-b-e--$HOME');
    expect(() => interpolate('${MISSING:?set it}', env)).toThrow(/MISSING is required: set it/);
    expect([...referencedVariables('${A:-1} $B $${C}')]).toEqual(['A', 'B']);
  });

  test('derives required variables from a schema (no default, not optional)', () => {
    const schema = z.object({
      NEED: z.string(),
      HAS_DEFAULT: z.string().default('x'),
      MAYBE: z.string().optional(),
    });
    expect(requiredVariables(schema)).toEqual(['NEED']);
  });
});

describe('docker-compose.yml', () => {
  test('defines the whole product stack', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'alertmanager',
        'api',
        'mailpit',
        'postgresql',
        'prometheus',
        'redis',
        'schedules',
        'temporal',
        'temporal-schema',
        'temporal-setup',
        'temporal-ui',
        'worker',
      ].sort(),
    );
  });

  test('every image is pinned to a version (no latest, no untagged)', () => {
    for (const [name, service] of services) {
      const image = service.image ?? '';
      const tag = /^[^@]+:([^:/@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
      expect(tag, `${name}: image "${image}" has no tag`).toBeDefined();
      expect(tag, `${name}: ${image}`).not.toMatch(/^(latest|stable|edge|main|master)$/);
      expect(tag, `${name}: ${image} is not a version`).toMatch(/^v?\d+(\.\d+)+/);
    }
  });

  test('the Daybreak services share one image tagged with package.json version', () => {
    expect(daybreakServices.map(([n]) => n).sort()).toEqual(['api', 'schedules', 'worker']);
    for (const [name, service] of daybreakServices) {
      expect(service.image, name).toBe(`daybreak:${pkg.version}`);
      expect(service.build, name).toBe('.');
    }
  });

  test('the Temporal images agree with server 1.29 and UI 2.x', () => {
    const c = compose.services;
    expect(c.temporal!.image).toMatch(/^temporalio\/server:1\.29\.\d+$/);
    const serverVersion = c.temporal!.image!.split(':')[1]!;
    for (const oneShot of ['temporal-schema', 'temporal-setup']) {
      expect(c[oneShot]!.image).toBe(`temporalio/admin-tools:${serverVersion}-tctl-1.18.4-cli-1.5.0`);
    }
    expect(c['temporal-ui']!.image).toMatch(/^temporalio\/ui:2\.\d+\.\d+$/);
  });

  test('every long-running service has a health check; one-shots are explicit and never restart', () => {
    for (const [name, service] of services) {
      if (ONE_SHOTS.includes(name)) {
        expect(service.restart, `${name} is a one-shot`).toBe('no');
        // The Daybreak image has a HEALTHCHECK of its own: a one-shot must switch it off.
        if (service.build !== undefined) expect(service.healthcheck?.disable, name).toBe(true);
        continue;
      }
      const hc = service.healthcheck;
      expect(hc?.disable, name).not.toBe(true);
      expect(Array.isArray(hc?.test) && hc.test.length > 1, `${name} has a healthcheck test`).toBe(true);
      expect(['CMD', 'CMD-SHELL']).toContain((hc!.test as string[])[0]);
      expect(service.restart, `${name} comes back after a crash or an OOM kill`).toBe('unless-stopped');
    }
  });

  test('Daybreak services probe their own endpoint: the API its /healthz, the others their metrics', () => {
    for (const [name, service] of daybreakServices.filter(([n]) => !ONE_SHOTS.includes(n))) {
      const target = entryPointOf(service)?.serves?.includes('API_PORT') ? 'api' : 'metrics';
      expect(service.healthcheck?.test, name).toEqual([
        'CMD',
        'node',
        'bin/healthcheck.js',
        '--target',
        target,
      ]);
      expect(parseDuration(service.healthcheck?.start_period ?? '0s'), name).toBeGreaterThanOrEqual(60);
    }
  });

  test('every depends_on target exists, with a condition that orders start-up', () => {
    for (const [name, service] of services) {
      for (const [target, condition] of Object.entries(dependsOn(service))) {
        expect(compose.services[target], `${name} depends on missing ${target}`).toBeDefined();
        const expected = ONE_SHOTS.includes(target) ? 'service_completed_successfully' : 'service_healthy';
        expect(condition, `${name} -> ${target}`).toBe(expected);
      }
    }
    const c = compose.services;
    expect(dependsOn(c.temporal!)).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependsOn(c['temporal-schema']!)).toEqual({ postgresql: 'service_healthy' });
    expect(dependsOn(c.worker!)['temporal-setup']).toBe('service_completed_successfully');
    expect(dependsOn(c.schedules!)['temporal-setup']).toBe('service_completed_successfully');
  });

  test('the start-up graph has no cycle', () => {
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (name: string, trail: string[]) => {
      if (done.has(name)) return;
      expect(visiting.has(name), `cycle: ${[...trail, name].join(' -> ')}`).toBe(false);
      visiting.add(name);
      for (const dep of Object.keys(dependsOn(compose.services[name]!))) visit(dep, [...trail, name]);
      visiting.delete(name);
      done.add(name);
    };
    for (const [name] of services) visit(name, []);
  });

  test('every bind-mounted file or folder exists in the repository; named volumes are declared', () => {
    let binds = 0;
    for (const [name, service] of services) {
      for (const mount of mounts(service)) {
        if (mount.kind === 'bind') {
          binds++;
          const source = path.resolve(path.dirname(COMPOSE_FILE), mount.source);
          expect(source.startsWith(REPO_ROOT + path.sep), `${name}: ${mount.source} leaves the repo`).toBe(
            true,
          );
          expect(fs.existsSync(source), `${name}: ${mount.source} does not exist`).toBe(true);
          // Tracked or to be committed: a git-ignored file would be missing from a clean checkout.
          const listed = execFileSync(
            'git',
            ['ls-files', '-co', '--exclude-standard', '--', path.relative(REPO_ROOT, source)],
            {
              cwd: REPO_ROOT,
              encoding: 'utf8',
            },
          );
          expect(listed.trim(), `${name}: ${mount.source} is git-ignored`).not.toBe('');
        } else if (mount.kind === 'volume') {
          expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${mount.source}`).toContain(
            mount.source,
          );
        }
      }
    }
    expect(binds).toBeGreaterThanOrEqual(5);
    // State that must survive `docker compose down` lives on named volumes.
    const target = (svc: string, dir: string) =>
      mounts(compose.services[svc]!).find((m) => m.target === dir && m.kind === 'volume');
    expect(target('postgresql', '/var/lib/postgresql/data')).toBeDefined();
    expect(target('redis', '/data')).toBeDefined();
    expect(target('prometheus', '/prometheus')).toBeDefined();
  });

  test("Temporal's dynamic config file is in its mounted folder", () => {
    const temporal = compose.services.temporal!;
    // The server resolves DYNAMIC_CONFIG_FILE_PATH from its working directory, /etc/temporal.
    const file = path.posix.join('/etc/temporal', serviceEnvironment(temporal).DYNAMIC_CONFIG_FILE_PATH!);
    const mount = mounts(temporal).find((m) => file.startsWith(m.target + '/'));
    expect(mount, file).toBeDefined();
    const host = path.join(REPO_ROOT, mount!.source, file.slice(mount!.target.length));
    expect(YAML.parse(fs.readFileSync(host, 'utf8'))).toHaveProperty(['limit.maxIDLength']);
  });

  test('Redis persists: append-only file on, snapshots on, no eviction', () => {
    const args = commandArgs(compose.services.redis!);
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(flag('--appendonly')).toBe('yes');
    expect(flag('--save')).toMatch(/^\d+ \d+/);
    expect(flag('--maxmemory-policy')).toBe('noeviction');
    expect(flag('--requirepass')).toBe(parseEnvFile(fs.readFileSync(ENV_EXAMPLE, 'utf8')).REDIS_PASSWORD);
  });

  test('every command a Daybreak service runs is a tested entry point', () => {
    for (const [name, service] of daybreakServices) {
      expect(entryPointOf(service), `${name}: daybreak ${commandArgs(service).join(' ')}`).toBeDefined();
    }
  });

  test('Daybreak services get every variable the config requires, and only variables it knows', () => {
    const required = requiredVariables(envSchema);
    const known = new Set(Object.keys(envSchema.shape));
    for (const [name, service] of daybreakServices) {
      const env = serviceEnvironment(service);
      for (const variable of required) expect(env[variable], `${name} lacks ${variable}`).toBeTruthy();
      for (const variable of Object.keys(env)) {
        expect(
          known.has(variable) || NON_DAYBREAK_VARIABLES.has(variable),
          `${name}: unknown ${variable}`,
        ).toBe(true);
      }
      // The values must pass the same validation the process applies at start.
      expect(() => daybreakConfig(service), name).not.toThrow();
    }
  });

  test('no Daybreak service relies on a loopback default inside its container', () => {
    const loopback = loopbackDefaults();
    expect(loopback).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'REDIS_URL', 'API_HOST']));
    for (const [name, service] of daybreakServices) {
      const env = serviceEnvironment(service);
      for (const variable of loopback) {
        if (variable === 'API_HOST' && entryPointOf(service)?.args[0] !== 'api') continue;
        expect(env[variable], `${name} must set ${variable}`).toBeTruthy();
      }
      const config = daybreakConfig(service);
      for (const target of [config.TEMPORAL_ADDRESS, config.REDIS_URL, config.SMTP_URL ?? '']) {
        if (target) expect(compose.services[hostOf(target)], `${name}: ${target}`).toBeDefined();
      }
    }
    expect(daybreakConfig(compose.services.api!).API_HOST).toBe('0.0.0.0');
  });

  test('links in alerts point at the Web UI as published', () => {
    const uiUrl = new URL(daybreakConfig(compose.services.worker!).TEMPORAL_UI_URL);
    const ui = publishedPorts('temporal-ui', compose.services['temporal-ui']!);
    expect(ui.map((p) => p.hostPort)).toContain(Number(uiUrl.port));
    expect(ui[0]!.containerPort).toBe(8080);
  });

  test('workers scale: no fixed name, no host port, a memory limit DuckDB stays under', () => {
    const worker = compose.services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports ?? []).toEqual([]);
    expect(worker.restart).toBe('unless-stopped');
    // Drain time: longer than the worker's 30 s shutdown grace (workers/worker.ts).
    expect(parseDuration(worker.stop_grace_period ?? '10s')).toBeGreaterThanOrEqual(45);
    const limit = parseBytes(String(worker.deploy?.resources?.limits?.memory ?? worker.mem_limit));
    const config = daybreakConfig(worker);
    expect(config.DAYBREAK_DUCKDB_MEMORY_LIMIT, 'DuckDB must have a limit below the container').toBeDefined();
    const duckdb =
      parseBytes(config.DAYBREAK_DUCKDB_MEMORY_LIMIT!) * config.DAYBREAK_MAX_CONCURRENT_ACTIVITIES;
    const nodeAndCore = 1.5 * 1024 ** 3;
    expect(duckdb + nodeAndCore, `DuckDB ${duckdb} B + Node must fit in ${limit} B`).toBeLessThanOrEqual(
      limit,
    );
    expect(Number(worker.deploy?.resources?.limits?.cpus)).toBeGreaterThanOrEqual(
      config.DAYBREAK_DUCKDB_THREADS,
    );
    expect(compose.services.api!.deploy?.resources?.limits?.memory).toBeDefined();
  });

  test('no two services publish the same host port', () => {
    const published = services.flatMap(([name, s]) => publishedPorts(name, s));
    expect(published.length).toBeGreaterThanOrEqual(6);
    const seen = new Map<string, string>();
    for (const p of published) {
      // 0.0.0.0 collides with every address on the same port.
      for (const ip of p.hostIp === '0.0.0.0' ? ['*'] : [p.hostIp, '*']) {
        const key = `${ip}:${p.hostPort}/${p.protocol}`;
        expect(seen.get(key), `${p.service} and ${seen.get(key)} both publish ${key}`).toBeUndefined();
      }
      seen.set(`${p.hostIp}:${p.hostPort}/${p.protocol}`, p.service);
      seen.set(`*:${p.hostPort}/${p.protocol}`, p.service);
    }
    // Defaults keep the admin surfaces off the public interface.
    for (const p of published) expect(p.hostIp, p.service).toBe('127.0.0.1');
  });

  test('Prometheus scrapes every service on its real metrics port, and only real ones', () => {
    const prom = compose.services.prometheus!;
    const configMount = mounts(prom).find((m) => m.target === '/etc/prometheus/prometheus.yml')!;
    const promConfig = YAML.parse(fs.readFileSync(path.resolve(REPO_ROOT, configMount.source), 'utf8')) as {
      scrape_configs: {
        job_name: string;
        static_configs?: { targets: string[] }[];
        dns_sd_configs?: { names: string[]; type: string; port: number }[];
      }[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    const scraped: { job: string; service: string; port: number }[] = [];
    for (const job of promConfig.scrape_configs) {
      for (const target of job.static_configs?.flatMap((s) => s.targets) ?? []) {
        const [host, port] = target.split(':');
        scraped.push({
          job: job.job_name,
          service: host === 'localhost' ? 'prometheus' : host!,
          port: Number(port),
        });
      }
      for (const sd of job.dns_sd_configs ?? []) {
        expect(sd.type, job.job_name).toBe('A');
        for (const name of sd.names) scraped.push({ job: job.job_name, service: name, port: sd.port });
      }
    }
    const metricsPorts = (name: string): number[] => {
      const service = compose.services[name];
      expect(service, `scrape target ${name} is not a compose service`).toBeDefined();
      if (service!.build === undefined) return THIRD_PARTY_METRICS[name]?.(service!) ?? [];
      const config = daybreakConfig(service!);
      return (entryPointOf(service!)?.serves ?? []).map((v) => Number(config[v]));
    };
    for (const s of scraped)
      expect(metricsPorts(s.service), `${s.job} -> ${s.service}:${s.port}`).toContain(s.port);
    // Coverage: every port a Daybreak service serves metrics on is scraped.
    for (const [name] of daybreakServices) {
      for (const port of metricsPorts(name)) {
        expect(
          scraped.some((s) => s.service === name && s.port === port),
          `${name}:${port} not scraped`,
        ).toBe(true);
      }
    }
    expect(scraped.find((s) => s.service === 'temporal')?.port).toBe(8000);
    // The worker is scaled: it must be discovered by DNS (one A record per replica), not pinned.
    expect(scraped.filter((s) => s.service === 'worker').map((s) => s.job)).toEqual([
      'daybreak-worker',
      'daybreak-temporal-sdk',
    ]);
    const am = promConfig.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets));
    expect(am).toEqual(['alertmanager:9093']);
  });

  test('secrets come from a git-ignored .env; .env.example documents every variable', () => {
    const ignored = execFileSync('git', ['check-ignore', '.env'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(ignored.trim()).toBe('.env');
    const listed = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '.env.example'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(listed.trim(), '.env.example must not be git-ignored').toBe('.env.example');
    const exampleText = fs.readFileSync(ENV_EXAMPLE, 'utf8');
    const documented = documentedVariables(exampleText);
    const referenced = referencedVariables(composeText());
    for (const variable of referenced)
      expect(documented.has(variable), `.env.example lacks ${variable}`).toBe(true);
    for (const variable of documented) expect(referenced.has(variable), `${variable} is not used`).toBe(true);
    // Without an env file compose refuses to start instead of running with blank passwords.
    for (const secret of ['POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'DAYBREAK_API_TOKENS']) {
      expect(() => loadCompose({ ...parseEnvFile(exampleText), [secret]: '' }), secret).toThrow(
        new RegExp(`${secret} is required`),
      );
    }
  });
});
