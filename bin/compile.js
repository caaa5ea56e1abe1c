// The CLI compiled to JavaScript, so `daybreak` starts without transpiling TypeScript every time
// (tsx): esbuild bundles the entry points (lazy imports stay lazy as separate chunks, packages
// stay in node_modules) into node_modules/.cache/daybreak/cli/<build>/. Commands that only talk to
// a server (status, run, backfill, ...) start from a second, self-contained build of the CLI,
// <build>/client/main.cjs: one CommonJS file with the packages on its path bundled in (the
// Temporal client, gRPC, protobufjs, zod, yaml: ~500 files otherwise read and resolved one by
// one), run with a V8 code cache (bin/code-cache.js) so it is not parsed and compiled again at
// every start. The processes that run a worker keep the first: one copy of each Temporal package
// (the worker's `instanceof` checks see the same classes as the activities). A build records the
// modification time of every source it read; a start whose sources all match uses it, otherwise
// it builds again first (~0.3 s), so the compiled code is never older than the sources. Where no
// build can be made (read-only install, a syntax error) the caller falls back to tsx, which runs
// the sources themselves and reports their errors.
//
// `node bin/compile.js` builds (or checks) once and says what it did.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CACHE = path.join(REPO, 'node_modules', '.cache', 'daybreak', 'cli');
const CURRENT = path.join(CACHE, 'current.json');
/** Entry points, by source: what bin/daybreak.js and bin/healthcheck.js run. */
const ENTRIES = ['cli/main.ts', 'cli/commands/healthcheck.ts'];
/** Besides the sources: a change to how they are built is a change too. */
const RECIPE = ['bin/compile.js', 'tsconfig.json', 'package-lock.json'];
/**
 * Commands that never run a worker or a server in their own process: they start from the
 * self-contained build (unless `--embedded` asks for an in-process worker). Top-level `--help` too.
 */
const CLIENT_COMMANDS = new Set([
  'run',
  'status',
  'backfill',
  'schedules',
  'daily',
  'datasets',
  'pipelines',
  'logs',
  'runbook',
  'models',
]);
/**
 * Left in node_modules even in the self-contained build: native code, packages that find files of
 * their own at run time, and what only servers and workers load (never on a client command's path).
 */
const NOT_BUNDLED = [
  '@duckdb/*',
  '@temporalio/worker',
  '@temporalio/core-bridge',
  '@temporalio/testing',
  '@swc/*',
  'esbuild',
  'tsx',
  'tsx/*',
  'fastify',
  'ioredis',
  'nodemailer',
  '@google-cloud/*',
];
/** The self-contained build of cli/main.ts, in a build's folder. */
const CLIENT_BUNDLE = 'client/main.cjs';
/** Commands that run until stopped (their logs keep stack traces): source maps on. */
const LONG_RUNNING = new Set(['up', 'worker', 'api', 'watchdog']);
/** Older builds kept for processes still loading chunks from them (a long-running `daybreak up`). */
const KEEP_BUILDS = 3;

function mtimes(files) {
  return Object.fromEntries(files.map((f) => [f, fs.statSync(path.join(REPO, f)).mtimeMs]));
}

/** The current build if every file it was made from is unchanged, else undefined. */
function freshBuild() {
  let build;
  try {
    build = JSON.parse(fs.readFileSync(CURRENT, 'utf8'));
    for (const [file, mtime] of Object.entries(build.inputs))
      if (fs.statSync(path.join(REPO, file)).mtimeMs !== mtime) return undefined;
  } catch {
    return undefined;
  }
  return build;
}

/**
 * Each module keeps its own location: `import.meta.url` (files next to a module: models, runbooks,
 * the workflow sources the worker bundles) is the source file's, not the chunk's.
 */
const sourceLocations = {
  name: 'source-locations',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const contents = text
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents, loader: 'ts' };
    });
  },
};

async function build() {
  const { build: esbuild } = await import('esbuild');
  const started = Date.now();
  const id = `${started}-${process.pid}`;
  const outdir = path.join(CACHE, id);
  const common = {
    absWorkingDir: REPO,
    bundle: true,
    platform: 'node',
    target: 'node20',
    metafile: true,
    logLevel: 'silent',
    plugins: [sourceLocations],
  };
  const [result] = await Promise.all([
    esbuild({
      ...common,
      entryPoints: ENTRIES,
      outdir,
      outbase: REPO,
      entryNames: '[dir]/[name]',
      splitting: true,
      format: 'esm',
      packages: 'external',
      sourcemap: 'linked',
    }),
    esbuild({
      ...common,
      entryPoints: ['cli/main.ts'],
      outfile: path.join(outdir, CLIENT_BUNDLE),
      format: 'cjs',
      // import() of a package left in node_modules becomes a require() (each has a CommonJS
      // entry): in a script compiled from a V8 code cache, Node 20 loses the import() callback.
      supported: { 'dynamic-import': false },
      external: NOT_BUNDLED,
      // Short commands run without source maps (below).
    }),
  ]);
  fs.writeFileSync(path.join(outdir, 'package.json'), '{ "type": "module" }\n');
  const sources = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
  // A file saved while the build read it may be in the build or not: the next start builds again.
  const inputs = mtimes([...sources, ...RECIPE]);
  for (const file of Object.keys(inputs)) if (inputs[file] >= started) inputs[file] = 0;
  const current = { id, inputs };
  // Written whole, then renamed: a concurrent start reads the old build or the new one.
  const tmp = `${CURRENT}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(current));
  fs.renameSync(tmp, CURRENT);
  pruneOldBuilds(id);
  return current;
}

function pruneOldBuilds(keep) {
  const builds = fs
    .readdirSync(CACHE, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== keep)
    .map((d) => d.name)
    .sort((a, b) => Number(b.split('-')[0]) - Number(a.split('-')[0]));
  for (const old of builds.slice(KEEP_BUILDS - 1))
    fs.rmSync(path.join(CACHE, old), { recursive: true, force: true });
}

/**
 * The file URL of `entry` (a source path such as 'cli/main.ts') compiled from the current
 * sources, building first when they changed; undefined when it cannot be built (then run the
 * source through tsx). DAYBREAK_COMPILE=false (lib/config.ts) always answers undefined. For a
 * client-only command line it is the self-contained CommonJS bundle (`.cjs`: run it with
 * bin/code-cache.js), otherwise an ES module to import.
 */
export async function compiledEntry(entry, argv = process.argv) {
  if (['0', 'false', 'no'].includes(process.env.DAYBREAK_COMPILE ?? '')) return undefined;
  let current = freshBuild();
  if (!current) {
    try {
      current = await build();
    } catch {
      return undefined;
    }
  }
  // Stack traces name the TypeScript sources, not the chunks, in the long-running commands whose
  // logs keep them. Not in the short ones: with source maps on, Node reads and parses the map of
  // every module it loads (the SDK's too), a third of a `daybreak status`.
  if (LONG_RUNNING.has(argv[2] ?? '')) process.setSourceMapsEnabled(true);
  const file = entry === 'cli/main.ts' && clientOnly(argv) ? CLIENT_BUNDLE : entry.replace(/\.ts$/, '.js');
  return pathToFileURL(path.join(CACHE, current.id, file)).href;
}

/** Whether `daybreak <argv>` only talks to a server (no worker in this process). */
function clientOnly(argv) {
  const command = argv[2];
  if (command === undefined || command.startsWith('-')) return true;
  return CLIENT_COMMANDS.has(command) && !argv.includes('--embedded');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const fresh = freshBuild();
  const started = Date.now();
  const current = fresh ?? (await build());
  process.stdout.write(
    fresh
      ? `daybreak: compiled CLI is up to date (${CACHE}/${current.id})\n`
      : `daybreak: compiled the CLI in ${Date.now() - started} ms (${CACHE}/${current.id})\n`,
  );
}
