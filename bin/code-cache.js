// Runs a CommonJS bundle (the CLI's self-contained build, bin/compile.js) with a V8 code cache
// beside it: Node 20 parses and compiles every start's JavaScript again (its own compile cache
// came in Node 22), and for the CLI's ~6 MB that was a quarter of a `daybreak status`. The cache
// is V8's serialized code for the bundle as one command left it at exit (the functions it ran
// included), one file per command, since `status` and `run` run different parts. A cache V8
// rejects (another Node or V8 flags) is written again; one that cannot be written is skipped.
import fs from 'node:fs';
import { createRequire, Module } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

/** The cache file of `bundle` for the command `argv` starts (`help` for none). */
function cacheFile(bundle, argv) {
  const command = (argv[2] ?? 'help').replace(/^-+/, '').replace(/[^a-z0-9-]/gi, '_') || 'help';
  return `${bundle}.${command}.v8-cache`;
}

function readCache(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeCache(file, data) {
  // Written whole, then renamed: a start at the same moment reads the old cache or the new one.
  const tmp = `${file}.${process.pid}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}

/** Loads and runs `bundle` as the main module, as `node bundle` would. */
export function runWithCodeCache(bundle, argv = process.argv) {
  const cache = cacheFile(bundle, argv);
  const cachedData = readCache(cache);
  const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, 'utf8')), {
    filename: bundle,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData === undefined || script.cachedDataRejected)
    process.once('exit', () => writeCache(cache, script.createCachedData()));
  const module = { exports: {}, filename: bundle, id: '.', loaded: false };
  script
    .runInThisContext()
    .call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
}
