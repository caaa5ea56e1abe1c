// The model registry: one JSON file per version in a folder (DAYBREAK_MODELS_DIR, default the
// repository's models/identity). Versions are immutable: training registers the next free vN.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ModelError, validateModel, VERSION_PATTERN, type IdentityModel } from './model.js';

function versionNumber(v: string): number {
  return Number(v.slice(1));
}

/** Versions present in the folder, in order (v1, v2, ..., v10). */
export async function listVersions(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    throw new ModelError(`model registry folder ${dir} does not exist`);
  }
  return names
    .filter((n) => n.endsWith('.json') && VERSION_PATTERN.test(n.slice(0, -5)))
    .map((n) => n.slice(0, -5))
    .sort((a, b) => versionNumber(a) - versionNumber(b));
}

/** Loads and validates one version; an unknown version or a bad file is a ModelError naming it. */
export async function loadModel(dir: string, version: string): Promise<IdentityModel> {
  if (!VERSION_PATTERN.test(version))
    throw new ModelError(`model version must look like v1, v2, ...; got ${JSON.stringify(version)}`);
  const file = path.join(dir, `${version}.json`);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    const known = await listVersions(dir).catch(() => [] as string[]);
    throw new ModelError(`unknown model version ${version} in ${dir}; known: ${known.join(', ') || 'none'}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelError(`model file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const model = validateModel(raw, `model file ${file}`);
  if (model.version !== version)
    throw new ModelError(`model file ${file} says version ${model.version}; expected ${version}`);
  return model;
}

export async function listModels(dir: string): Promise<IdentityModel[]> {
  return Promise.all((await listVersions(dir)).map((v) => loadModel(dir, v)));
}

/** Registers `model` under the next free version (never overwrites); returns it with its version. */
export async function registerModel(
  dir: string,
  model: Omit<IdentityModel, 'version'>,
): Promise<IdentityModel> {
  await fs.mkdir(dir, { recursive: true });
  for (;;) {
    const versions = await listVersions(dir);
    const next = `v${versions.length ? versionNumber(versions.at(-1)!) + 1 : 1}`;
    const full = { version: next, ...model } as IdentityModel;
    validateModel(full, `new model ${next}`);
    try {
      await fs.writeFile(path.join(dir, `${next}.json`), `${JSON.stringify(full, null, 2)}\n`, {
        flag: 'wx',
      });
      return full;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
