// Local-disk storage. Writes land under a temporary name and are renamed into place, so a crash
// never leaves a half-written file under a final name.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ObjectInfo, StorageBackend } from './types.js';

async function walk(dir: string, out: ObjectInfo[]): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return;
    throw err;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile()) out.push({ uri: full, size: (await fs.stat(full)).size });
  }
}

export class LocalStorage implements StorageBackend {
  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    await walk(path.resolve(prefix), out);
    return out.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  }

  async stat(uri: string): Promise<ObjectInfo | undefined> {
    try {
      const st = await fs.stat(uri);
      return st.isFile() ? { uri: path.resolve(uri), size: st.size } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  readText(uri: string): Promise<string> {
    return fs.readFile(uri, 'utf8');
  }

  async writeText(uri: string, text: string): Promise<void> {
    await fs.mkdir(path.dirname(uri), { recursive: true });
    const tmp = `${uri}.tmp-${process.pid}`;
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, uri);
  }

  async stageIn(uri: string): Promise<string> {
    return path.resolve(uri);
  }

  async putFile(localPath: string, uri: string): Promise<void> {
    if (path.resolve(localPath) === path.resolve(uri)) return;
    await fs.mkdir(path.dirname(uri), { recursive: true });
    try {
      await fs.rename(localPath, uri);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // Scratch on another file system: copy under a temporary name, then rename.
      const tmp = `${uri}.tmp-${process.pid}`;
      await fs.copyFile(localPath, tmp);
      await fs.rename(tmp, uri);
      await fs.rm(localPath, { force: true });
    }
  }

  async delete(uri: string): Promise<void> {
    await fs.rm(uri, { force: true });
  }

  async removeEmptyFolders(prefix: string): Promise<void> {
    const prune = async (dir: string): Promise<boolean> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return false;
      }
      let empty = true;
      for (const entry of entries) {
        if (!entry.isDirectory() || !(await prune(path.join(dir, entry.name)))) empty = false;
      }
      if (empty && dir !== path.resolve(prefix)) await fs.rmdir(dir).catch(() => undefined);
      return empty;
    };
    await prune(path.resolve(prefix));
  }
}
