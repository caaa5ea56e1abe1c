// Local-disk storage. Writes land under a temporary name and are renamed into place, so a crash
// never leaves a half-written file under a final name.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ObjectInfo, StorageBackend } from './types.js';

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Writes and fsyncs a small file, so a manifest or lock survives a machine crash once renamed. */
async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a folder so a rename or link in it is durable (best effort: not every file system allows it). */
async function syncFolder(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // e.g. EINVAL on some file systems: the rename itself is still atomic
  } finally {
    await handle.close();
  }
}

async function walk(dir: string, out: ObjectInfo[]): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile()) {
      // A file deleted between readdir and stat (another run cleaning up) is simply gone.
      const st = await fs.stat(full).catch((err: unknown) => {
        if (isMissing(err)) return undefined;
        throw err;
      });
      if (st) out.push({ uri: full, size: st.size });
    }
  }
}

export class LocalStorage implements StorageBackend {
  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    await walk(path.resolve(prefix), out);
    return out.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  }

  async listNamed(prefix: string, namePrefix: string): Promise<ObjectInfo[]> {
    const dir = path.resolve(prefix);
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const out: ObjectInfo[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.startsWith(namePrefix)) continue;
      const full = path.join(dir, entry.name);
      const st = await fs.stat(full).catch(() => undefined);
      if (st) out.push({ uri: full, size: st.size });
    }
    return out.sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  }

  async fingerprint(uri: string): Promise<string | undefined> {
    try {
      const st = await fs.stat(uri, { bigint: true });
      return st.isFile() ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}` : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
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
    const tmp = `${uri}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
    await writeDurably(tmp, text);
    await fs.rename(tmp, uri);
    await syncFolder(path.dirname(uri));
  }

  async createExclusive(uri: string, text: string): Promise<boolean> {
    await fs.mkdir(path.dirname(uri), { recursive: true });
    // link(2) fails when the name exists, and the file it links is already complete.
    const tmp = `${uri}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
    await writeDurably(tmp, text);
    try {
      await fs.link(tmp, uri);
      await syncFolder(path.dirname(uri));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
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
      const tmp = `${uri}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
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
