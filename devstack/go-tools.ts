// Finds a Go-built tool (the Temporal CLI, the GCS emulator) or builds it once with `go install`
// into the cache folder. Nothing is ever downloaded as a prebuilt binary.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { processEnvironment } from '../lib/config.js';

export interface GoTool {
  /** Binary name, e.g. `temporal`. */
  binary: string;
  /** `module/path/cmd@version` for `go install`. */
  module: string;
  /** Human name for messages, e.g. "Temporal CLI". */
  label: string;
  /** Name of the variable that may point at an explicit binary, for messages. */
  explicitVariable?: string;
}

export interface FindGoToolOptions {
  /** Explicit path (from config); must be an executable file. */
  explicitPath?: string;
  /** Cache folder outside the repo; the binary lives in `<cacheDir>/bin/<binary>`. */
  cacheDir: string;
  /** Where to report what is going on (a Go build takes minutes); lines come without a prefix. */
  log?: (line: string) => void;
  /** Build with Go when no binary is found (default true). */
  build?: boolean;
}

export class GoToolNotFoundError extends Error {
  override name = 'GoToolNotFoundError';
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function onPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** The tool's location when present (explicit path, PATH, cache folder), without building. */
export function locateGoTool(
  tool: GoTool,
  opts: FindGoToolOptions,
  pathVar = processEnvironment().PATH,
  makeError: (message: string) => Error = (m) => new GoToolNotFoundError(m),
): string | undefined {
  if (opts.explicitPath) {
    if (!isExecutable(opts.explicitPath)) {
      throw makeError(
        `${tool.explicitVariable ?? tool.label} points at ${opts.explicitPath}, which is not an executable file`,
      );
    }
    return opts.explicitPath;
  }
  const cached = path.join(opts.cacheDir, 'bin', tool.binary);
  return onPath(tool.binary, pathVar) ?? (isExecutable(cached) ? cached : undefined);
}

/** Finds the tool; builds it with `GOBIN=<cacheDir>/bin go install <module>` when absent. */
export async function findOrBuildGoTool(
  tool: GoTool,
  opts: FindGoToolOptions,
  pathVar = processEnvironment().PATH,
  makeError: (message: string) => Error = (m) => new GoToolNotFoundError(m),
): Promise<string> {
  const found = locateGoTool(tool, opts, pathVar, makeError);
  if (found) return found;
  const setHint = tool.explicitVariable ? ` and set ${tool.explicitVariable} to the binary` : '';
  if (opts.build === false) {
    throw makeError(`No ${tool.label} found (${tool.explicitVariable ?? ''}, PATH, ${opts.cacheDir}/bin)`);
  }
  const go = onPath('go', pathVar);
  if (!go) {
    throw makeError(
      `No ${tool.label} found and Go is not installed to build one. Either install Go (https://go.dev/dl) ` +
        `and re-run, or build it elsewhere with \`go install ${tool.module}\`${setHint}, or put ` +
        `\`${tool.binary}\` on PATH.`,
    );
  }
  const binDir = path.join(opts.cacheDir, 'bin');
  fs.mkdirSync(binDir, { recursive: true });
  const log = opts.log ?? ((line: string) => process.stderr.write(`daybreak: ${line}\n`));
  log(`building the ${tool.label}: GOBIN=${binDir} go install ${tool.module} (takes a few minutes, once)`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', tool.module], {
      env: { ...processEnvironment(), GOBIN: binDir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(makeError(`go install ${tool.module} failed with exit code ${code}`)),
    );
  });
  const built = path.join(binDir, tool.binary);
  if (!isExecutable(built)) throw makeError(`go install finished but ${built} is missing`);
  log(`${tool.label} ready at ${built}`);
  return built;
}
