// Reads docker-compose.yml the way `docker compose` does for what the deploy tests need: YAML with
// merge keys, then variable interpolation (${VAR}, ${VAR:-default}, ${VAR:?error}, $$) from an
// env file. No Docker engine is involved.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');
export const ENV_EXAMPLE = path.join(REPO_ROOT, '.env.example');

export interface HealthCheck {
  test?: string | string[];
  disable?: boolean;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (
    string | number | { target: number; published?: string | number; host_ip?: string; protocol?: string }
  )[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: HealthCheck;
  restart?: string;
  container_name?: string;
  mem_limit?: string;
  stop_grace_period?: string;
  deploy?: { replicas?: number; resources?: { limits?: { memory?: string; cpus?: string | number } } };
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** KEY=VALUE lines of an env file (comments and blank lines skipped; no quotes processing needed here). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.trim();
  }
  return env;
}

/** Variables an env file mentions, set or commented out (`# NAME=...`). */
export function documentedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*#?\s*([A-Z_][A-Z0-9_]*)=/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

const VARIABLE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Names of the variables a compose text interpolates (escaped `$$NAME` is the container's, not ours). */
export function referencedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(VARIABLE)) {
    const name = m[1] ?? m[4];
    if (name) names.add(name);
  }
  return names;
}

/** Compose's interpolation of one string; throws for an unset `${VAR:?message}`. */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(VARIABLE, (whole, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const current = env[name];
    const unsetOrEmpty = current === undefined || current === '';
    switch (op) {
      case ':-':
        return unsetOrEmpty ? (arg ?? '') : current;
      case '-':
        return current === undefined ? (arg ?? '') : current;
      case ':?':
      case '?':
        if (op === ':?' ? unsetOrEmpty : current === undefined) {
          throw new Error(`compose variable ${name} is required: ${arg ?? ''}`);
        }
        return current!;
      default:
        return current ?? '';
    }
  });
}

function interpolateDeep(node: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((n) => interpolateDeep(n, env));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateDeep(v, env)]));
  }
  return node;
}

export function composeText(): string {
  return fs.readFileSync(COMPOSE_FILE, 'utf8');
}

/** docker-compose.yml with merge keys resolved and variables interpolated from `env`. */
export function loadCompose(env: Record<string, string | undefined>, text = composeText()): ComposeFile {
  const raw = YAML.parse(text, { merge: true }) as Record<string, unknown>;
  // Top-level `x-` keys are compose extensions (anchors); compose does not interpolate them.
  const kept = Object.fromEntries(Object.entries(raw).filter(([k]) => !k.startsWith('x-')));
  return interpolateDeep(kept, env) as ComposeFile;
}

/** The stack as `.env.example` configures it. */
export function exampleCompose(): ComposeFile {
  return loadCompose(parseEnvFile(fs.readFileSync(ENV_EXAMPLE, 'utf8')));
}

export function serviceEnvironment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function dependsOn(service: ComposeService): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v.condition ?? 'service_started']));
}

export function commandArgs(service: ComposeService): string[] {
  const cmd = service.command ?? [];
  return Array.isArray(cmd) ? cmd : cmd.split(/\s+/).filter(Boolean);
}

export interface PublishedPort {
  service: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: string;
}

/** Host-side port bindings of a service, short or long syntax. */
export function publishedPorts(name: string, service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).flatMap((p): PublishedPort[] => {
    if (typeof p === 'object') {
      if (p.published === undefined) return [];
      return [
        {
          service: name,
          hostIp: p.host_ip ?? '0.0.0.0',
          hostPort: Number(p.published),
          containerPort: p.target,
          protocol: p.protocol ?? 'tcp',
        },
      ];
    }
    const [spec, protocol = 'tcp'] = String(p).split('/');
    const parts = spec!.split(':');
    if (parts.length === 1) return []; // container port only: Docker picks an ephemeral host port
    const containerPort = Number(parts.pop());
    const hostPort = Number(parts.pop());
    const hostIp = parts.length ? parts.join(':') : '0.0.0.0';
    return [{ service: name, hostIp, hostPort, containerPort, protocol }];
  });
}

export interface Mount {
  source: string;
  target: string;
  kind: 'bind' | 'volume' | 'anonymous';
}

export function mounts(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((v): Mount => {
    if (typeof v === 'object') {
      const source = v.source ?? '';
      const kind = v.type === 'bind' ? 'bind' : source ? 'volume' : 'anonymous';
      return { source, target: v.target, kind };
    }
    const parts = v.split(':');
    if (parts.length === 1) return { source: '', target: parts[0]!, kind: 'anonymous' };
    const [source, target] = parts as [string, string];
    const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
    return { source, target, kind: bind ? 'bind' : 'volume' };
  });
}

/**
 * Docker's byte sizes (`6g`, `512m`) and DuckDB's (`4GB`, `512MiB`) in bytes, every unit read as
 * binary (DuckDB reads GB as 1000^3: counting 1024^3 over-estimates, which is the safe side).
 */
export function parseBytes(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (!m) throw new Error(`not a byte size: ${value}`);
  const power = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Number(m[1]) * 1024 ** power;
}

/** Compose durations such as `60s`, `1m30s`, `2h` in seconds. */
export function parseDuration(value: string): number {
  let total = 0;
  for (const m of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)) {
    total +=
      Number(m[1]) * { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6 }[m[2] as 'h' | 'm' | 's' | 'ms' | 'us'];
  }
  return total;
}
