// Provisioning: finds every system tool Daybreak's local stack and its tests drive, and installs
// what is missing: Debian packages with apt-get (when root and apt is there), Go tools with
// `go install` into the cache folder. What it cannot install ends in one error that lists each
// missing tool with the exact command that installs it, before anything else starts.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { processEnvironment } from '../lib/config.js';
import { FAKE_GCS_TOOL } from './fake-gcs.js';
import { findOrBuildGoTool, locateGoTool, onPath, type GoTool } from './go-tools.js';
import { TEMPORAL_TOOL } from './temporal-cli.js';

interface AptTool {
  kind: 'apt';
  /** The Debian package that ships the binary. */
  aptPackage: string;
  usedFor: string;
}

interface GoBuiltTool {
  kind: 'go';
  tool: GoTool;
  usedFor: string;
}

/** Every tool by its binary name. */
export const TOOLS = {
  'redis-server': { kind: 'apt', aptPackage: 'redis-server', usedFor: 'the online feature store' },
  promtool: { kind: 'apt', aptPackage: 'prometheus', usedFor: 'checking the Prometheus rules' },
  amtool: { kind: 'apt', aptPackage: 'prometheus-alertmanager', usedFor: 'checking the Alertmanager config' },
  chromium: { kind: 'apt', aptPackage: 'chromium', usedFor: 'the Web UI test (headless)' },
  temporal: { kind: 'go', tool: TEMPORAL_TOOL, usedFor: 'the Temporal dev server and Web UI' },
  'fake-gcs-server': { kind: 'go', tool: FAKE_GCS_TOOL, usedFor: 'the GCS emulator' },
} as const satisfies Record<string, AptTool | GoBuiltTool>;

export type ToolName = keyof typeof TOOLS;

/** What the test suite drives: all of them. */
export const ALL_TOOLS = Object.keys(TOOLS) as ToolName[];

export interface ProvisionOptions<T extends ToolName> {
  tools: readonly T[];
  /** Install what is missing (DAYBREAK_PROVISION); off, only find and report. */
  install: boolean;
  /** Go tools live in `<cacheDir>/bin` (DAYBREAK_CACHE_DIR). */
  cacheDir: string;
  /** TEMPORAL_CLI: an explicit `temporal` binary. */
  temporalCli?: string;
  /** Where to look (default: PATH). */
  pathVar?: string;
  /** Running as root (apt-get installs need it); default: this process's uid. */
  root?: boolean;
  log?: (line: string) => void;
}

export class ProvisionError extends Error {
  override name = 'ProvisionError';
}

function locate(name: ToolName, opts: ProvisionOptions<ToolName>, pathVar: string): string | undefined {
  const spec: AptTool | GoBuiltTool = TOOLS[name];
  if (spec.kind === 'apt') return onPath(name, pathVar);
  const explicitPath = name === 'temporal' ? opts.temporalCli : undefined;
  return locateGoTool(
    spec.tool,
    { explicitPath, cacheDir: opts.cacheDir },
    pathVar,
    (m) => new ProvisionError(m),
  );
}

function goInstallCommand(tool: GoTool, cacheDir: string): string {
  return `GOBIN=${path.join(cacheDir, 'bin')} go install ${tool.module}`;
}

function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  log(`$ ${command} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...processEnvironment(), DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with code ${code}`)),
    );
  });
}

/**
 * Finds (and with `install`, installs) each tool; returns their paths, or throws one
 * ProvisionError naming every tool still missing and how to install it.
 */
export async function provision<T extends ToolName>(opts: ProvisionOptions<T>): Promise<Record<T, string>> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`daybreak: ${line}\n`));
  const pathVar = opts.pathVar ?? processEnvironment().PATH ?? '';
  const root = opts.root ?? process.getuid?.() === 0;
  const found = new Map<ToolName, string>();
  const lookUp = () => {
    for (const name of opts.tools) {
      const at = found.get(name) ?? locate(name, opts, pathVar);
      if (at) found.set(name, at);
    }
    return opts.tools.filter((name) => !found.has(name));
  };
  let missing = lookUp();
  const problems: string[] = [];

  const missingApt = missing.filter((name) => TOOLS[name].kind === 'apt');
  const aptGet = onPath('apt-get', pathVar);
  if (opts.install && missingApt.length && root && aptGet) {
    const packages = [...new Set(missingApt.map((name) => (TOOLS[name] as AptTool).aptPackage))];
    log(`installing ${missingApt.join(', ')} (Debian packages ${packages.join(' ')}) with apt-get`);
    try {
      await run(aptGet, ['update', '-qq'], log);
      await run(aptGet, ['install', '-y', '-qq', ...packages], log);
    } catch (err) {
      problems.push(`apt-get failed: ${(err as Error).message}`);
    }
    missing = lookUp();
  }
  for (const name of missing.filter((n) => TOOLS[n].kind === 'go')) {
    if (!opts.install || !onPath('go', pathVar)) continue;
    try {
      const spec = TOOLS[name] as GoBuiltTool;
      found.set(name, await findOrBuildGoTool(spec.tool, { cacheDir: opts.cacheDir, log }, pathVar));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  missing = lookUp();
  if (missing.length)
    throw new ProvisionError(missingToolsMessage(missing, opts, { root, aptGet, pathVar }, problems));
  return Object.fromEntries(opts.tools.map((name) => [name, found.get(name)!])) as Record<T, string>;
}

function missingToolsMessage(
  missing: ToolName[],
  opts: ProvisionOptions<ToolName>,
  env: { root: boolean; aptGet?: string; pathVar: string },
  problems: string[],
): string {
  const apt = missing.filter((n) => TOOLS[n].kind === 'apt');
  const go = missing.filter((n) => TOOLS[n].kind === 'go');
  const reasons = !opts.install
    ? ['it is turned off (DAYBREAK_PROVISION=false)']
    : [
        ...(apt.length && !env.aptGet ? ['apt-get is not available'] : []),
        ...(apt.length && env.aptGet && !env.root ? ['not running as root'] : []),
        ...(go.length && !onPath('go', env.pathVar)
          ? ['Go is not installed (https://go.dev/dl, Go 1.22+)']
          : []),
        ...problems,
      ];
  const sudo = env.root ? '' : 'sudo ';
  const packages = [...new Set(apt.map((n) => (TOOLS[n] as AptTool).aptPackage))];
  const rows = missing.map((name) => {
    const spec: AptTool | GoBuiltTool = TOOLS[name];
    const command =
      spec.kind === 'apt'
        ? `${sudo}apt-get install -y ${spec.aptPackage}`
        : goInstallCommand(spec.tool, opts.cacheDir);
    return `  ${name.padEnd(16)} ${command}   (${spec.usedFor})`;
  });
  const one = missing.length === 1;
  return [
    `${one ? 'a tool Daybreak needs is' : `${missing.length} tools Daybreak needs are`} missing, and provisioning ` +
      `could not install ${one ? 'it' : 'them'}: ${reasons.join('; ') || 'unknown reason'}.`,
    ...rows,
    ...(packages.length
      ? [`Debian packages at once: ${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`]
      : []),
    'Install them with the commands above and re-run.',
  ].join('\n');
}
