// Google Cloud Storage behind the StorageBackend interface. DuckDB never reads gs:// itself (httpfs
// needs a download and fails offline): inputs are downloaded to the task's scratch folder with a
// validated streaming download, outputs uploaded after (resumable for large files).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import type { Config } from '../config.js';
import { missingInput, permissionDenied } from '../errors.js';
import { registerGcsBackend } from './index.js';
import type { ObjectInfo, StorageBackend } from './types.js';
import { parseGcsUri } from './uri.js';

/** Files larger than this go up with a resumable upload (restartable chunks); smaller in one request. */
export const RESUMABLE_THRESHOLD_BYTES = 8 * 1024 * 1024;

export interface GcsStorageOptions {
  projectId?: string;
  /** Emulator or private endpoint, e.g. http://127.0.0.1:4443; credentials are skipped for it. */
  apiEndpoint?: string;
  resumableThresholdBytes?: number;
}

function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

function reason(err: unknown): string {
  // The client wraps the server's own message ("x does not have storage.objects.get access") in
  // an `errors` array behind a generic "Multiple errors occurred" message.
  const inner = (err as { errors?: { message?: unknown }[] })?.errors?.find(
    (e) => typeof e?.message === 'string',
  );
  let text = inner ? String(inner.message) : err instanceof Error ? err.message : String(err);
  // A streamed download reports the raw JSON error body.
  if (text.startsWith('{')) {
    try {
      text = String((JSON.parse(text) as { error?: { message?: unknown } }).error?.message ?? text);
    } catch {
      // not JSON after all: keep it
    }
  }
  return text.split('\n')[0]!;
}

/**
 * Turns client errors into Daybreak failures: 401/403 are permission problems no retry fixes;
 * 404 on something we were asked to read is missing input. Anything else (5xx, network) stays
 * retryable.
 */
function translate(err: unknown, uri: string, action: string, notFoundIsMissing: boolean): unknown {
  const status = httpStatus(err);
  if (status === 401 || status === 403) {
    return permissionDenied(`permission denied (HTTP ${status}) to ${action} ${uri}: ${reason(err)}`);
  }
  if (status === 404 && notFoundIsMissing) return missingInput(`GCS object not found: ${uri}`);
  return err;
}

export class GcsStorage implements StorageBackend {
  private readonly client: Storage;
  private readonly resumableThreshold: number;

  constructor(opts: GcsStorageOptions = {}) {
    const options: StorageOptions = { projectId: opts.projectId };
    if (opts.apiEndpoint) options.apiEndpoint = opts.apiEndpoint;
    this.client = new Storage(options);
    this.resumableThreshold = opts.resumableThresholdBytes ?? RESUMABLE_THRESHOLD_BYTES;
  }

  private file(uri: string) {
    const { bucket, key } = parseGcsUri(uri);
    if (!key) throw new Error(`not an object URI (no key after the bucket): ${uri}`);
    return this.client.bucket(bucket).file(key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const { bucket, key } = parseGcsUri(prefix);
    // A prefix is a folder: gs://b/raw/ds1 must not match gs://b/raw/ds10/...
    const folder = key === '' || key.endsWith('/') ? key : `${key}/`;
    try {
      const [files] = await this.client.bucket(bucket).getFiles({ prefix: folder, autoPaginate: true });
      return files
        .map((f) => ({ uri: `gs://${bucket}/${f.name}`, size: Number(f.metadata.size ?? 0) }))
        .filter((o) => !o.uri.endsWith('/'))
        .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
    } catch (err) {
      // A missing bucket lists as empty, like a missing local folder.
      if (httpStatus(err) === 404) return [];
      throw translate(err, prefix, 'list', false);
    }
  }

  async stat(uri: string): Promise<ObjectInfo | undefined> {
    if (!parseGcsUri(uri).key) return undefined;
    try {
      const [meta] = await this.file(uri).getMetadata();
      return { uri, size: Number(meta.size ?? 0) };
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw translate(err, uri, 'read', false);
    }
  }

  async readText(uri: string): Promise<string> {
    try {
      const [buf] = await this.file(uri).download();
      return buf.toString('utf8');
    } catch (err) {
      throw translate(err, uri, 'read', true);
    }
  }

  async writeText(uri: string, text: string): Promise<void> {
    try {
      await this.file(uri).save(text, { resumable: false, contentType: 'application/json' });
    } catch (err) {
      throw translate(err, uri, 'write', false);
    }
  }

  /** Streams the object to `<scratch>/<bucket>/<key>` (checksum-validated), via a temporary name. */
  async stageIn(uri: string, scratchDir: string): Promise<string> {
    const { bucket, key } = parseGcsUri(uri);
    const local = path.join(scratchDir, 'gcs', bucket, ...key.split('/'));
    await fsp.mkdir(path.dirname(local), { recursive: true });
    const tmp = `${local}.part-${process.pid}`;
    try {
      await pipeline(this.file(uri).createReadStream({ validation: true }), fs.createWriteStream(tmp));
      await fsp.rename(tmp, local);
      return local;
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw translate(err, uri, 'read', true);
    }
  }

  /** Uploads and then removes the local file (the same contract as a local rename). */
  async putFile(localPath: string, uri: string): Promise<void> {
    const { size } = await fsp.stat(localPath);
    const { bucket, key } = parseGcsUri(uri);
    try {
      await this.client.bucket(bucket).upload(localPath, {
        destination: key,
        resumable: size > this.resumableThreshold,
        validation: 'crc32c',
      });
    } catch (err) {
      throw translate(err, uri, 'write', false);
    }
    await fsp.rm(localPath, { force: true });
  }

  async delete(uri: string): Promise<void> {
    try {
      await this.file(uri).delete({ ignoreNotFound: true });
    } catch (err) {
      throw translate(err, uri, 'delete', false);
    }
  }

  /** Object stores have no folders. */
  async removeEmptyFolders(): Promise<void> {}
}

/** The backend for the configured project and endpoint; credentials come from the Google environment. */
export function createGcsStorage(
  config: Pick<Config, 'GCS_PROJECT_ID' | 'STORAGE_EMULATOR_HOST'>,
): GcsStorage {
  return new GcsStorage({ projectId: config.GCS_PROJECT_ID, apiEndpoint: config.STORAGE_EMULATOR_HOST });
}

/** Makes gs:// URIs usable in this process with the configured project and endpoint. */
export function registerConfiguredGcs(
  config: Pick<Config, 'GCS_PROJECT_ID' | 'STORAGE_EMULATOR_HOST'>,
): void {
  registerGcsBackend(() => createGcsStorage(config));
}
