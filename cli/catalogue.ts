// The catalogue a client command works on: the built-in pipelines and the SQL files of
// DAYBREAK_PIPELINES_DIR, read afresh at every command (a new file needs no redeploy). A file with
// problems is left out with a warning naming it; `daybreak pipelines validate` says more.
import type { Config } from '../lib/config.js';
import type { Catalogue } from '../pipelines/index.js';
import { loadCatalogue, type LoadedCatalogue } from '../pipelines/sql.js';

export async function commandCatalogue(config: Config): Promise<Catalogue> {
  return (await loadCatalogueWarning(config)).catalogue;
}

export async function loadCatalogueWarning(config: Config): Promise<LoadedCatalogue> {
  const loaded = await loadCatalogue(config);
  for (const e of loaded.errors) {
    process.stderr.write(`daybreak: left out (daybreak pipelines validate says more): ${e.message}\n`);
  }
  return loaded;
}
