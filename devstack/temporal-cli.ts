// Finds the `temporal` CLI (which embeds the dev server and Web UI) or builds it with Go.
// Nothing is ever downloaded as a prebuilt binary: offline machines build from the Go module proxy.
import { spawnSync } from 'node:child_process';
import { findOrBuildGoTool, locateGoTool, type FindGoToolOptions, type GoTool } from './go-tools.js';
import { processEnvironment } from '../lib/config.js';

/** v1.5.1 bundles server 1.29 and the Web UI; later releases carry a replace directive `go install` refuses. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export const TEMPORAL_TOOL: GoTool = {
  binary: 'temporal',
  module: TEMPORAL_CLI_MODULE,
  label: 'Temporal CLI',
  explicitVariable: 'TEMPORAL_CLI',
};

/** Where to look and whether to build; `explicitPath` is TEMPORAL_CLI. */
export type FindCliOptions = FindGoToolOptions;

export class TemporalCliNotFoundError extends Error {
  override name = 'TemporalCliNotFoundError';
}

const cliError = (message: string) => new TemporalCliNotFoundError(message);

/** The binary's location when present, without building anything. */
export function locateTemporalCli(
  opts: FindCliOptions,
  pathVar = processEnvironment().PATH,
): string | undefined {
  return locateGoTool(TEMPORAL_TOOL, opts, pathVar, cliError);
}

/** Finds the CLI (TEMPORAL_CLI, PATH, cache folder); builds it with `go install` when absent. */
export async function findOrBuildTemporalCli(
  opts: FindCliOptions,
  pathVar = processEnvironment().PATH,
): Promise<string> {
  return findOrBuildGoTool(TEMPORAL_TOOL, opts, pathVar, cliError);
}

/** `temporal --version`, e.g. "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)". */
export function temporalCliVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return out.stdout.trim();
}
