// Finds the `temporal` CLI (which embeds the dev server and Web UI) or builds it with Go.
// Nothing is ever downloaded as a prebuilt binary: offline machines build from the Go module proxy.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { processEnvironment } from './config.js';

/** v1.5.1 bundles server 1.29 and the Web UI; later releases carry a replace directive `go install` refuses. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export interface FindCliOptions {
  /** Explicit path (TEMPORAL_CLI). */
  explicitPath?: string;
  /** Cache folder outside the repo; the binary lives in `<cacheDir>/bin/temporal`. */
  cacheDir: string;
  /** Where to report what is going on (the Go build takes minutes). */
  log?: (line: string) => void;
  /** Build with Go when no binary is found (default true). */
  build?: boolean;
}

export class TemporalCliNotFoundError extends Error {
  override name = 'TemporalCliNotFoundError';
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** The binary's location when present, without building anything. */
export function locateTemporalCli(
  opts: FindCliOptions,
  pathVar = processEnvironment().PATH,
): string | undefined {
  if (opts.explicitPath) {
    if (!isExecutable(opts.explicitPath)) {
      throw new TemporalCliNotFoundError(
        `TEMPORAL_CLI points at ${opts.explicitPath}, which is not an executable file`,
      );
    }
    return opts.explicitPath;
  }
  const cached = path.join(opts.cacheDir, 'bin', 'temporal');
  return onPath('temporal', pathVar) ?? (isExecutable(cached) ? cached : undefined);
}

/** Finds the CLI (TEMPORAL_CLI, PATH, cache folder); builds it with `go install` when absent. */
export async function findOrBuildTemporalCli(
  opts: FindCliOptions,
  pathVar = processEnvironment().PATH,
): Promise<string> {
  const found = locateTemporalCli(opts, pathVar);
  if (found) return found;
  if (opts.build === false) {
    throw new TemporalCliNotFoundError(`No temporal CLI found (TEMPORAL_CLI, PATH, ${opts.cacheDir}/bin)`);
  }
  const go = onPath('go', pathVar);
  if (!go) {
    throw new TemporalCliNotFoundError(
      'No temporal CLI found and Go is not installed to build one. Either install Go (https://go.dev/dl) ' +
        `and re-run, or build it elsewhere with \`go install ${TEMPORAL_CLI_MODULE}\` and set TEMPORAL_CLI ` +
        'to the binary, or put `temporal` on PATH.',
    );
  }
  const binDir = path.join(opts.cacheDir, 'bin');
  fs.mkdirSync(binDir, { recursive: true });
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  log(
    `daybreak: building the Temporal CLI: GOBIN=${binDir} go install ${TEMPORAL_CLI_MODULE} (takes a few minutes, once)`,
  );
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', TEMPORAL_CLI_MODULE], {
      env: { ...processEnvironment(), GOBIN: binDir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new TemporalCliNotFoundError(`go install ${TEMPORAL_CLI_MODULE} failed with exit code ${code}`),
          ),
    );
  });
  const built = path.join(binDir, 'temporal');
  if (!isExecutable(built)) throw new TemporalCliNotFoundError(`go install finished but ${built} is missing`);
  log(`daybreak: Temporal CLI ready at ${built}`);
  return built;
}

/** `temporal --version`, e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)". */
export function temporalCliVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return out.stdout.trim();
}
