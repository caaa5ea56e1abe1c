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
import { registerGcsBackend } from './backends.js';
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

/**
 * The endpoint's base as the client wants it: scheme and host, no trailing slash or `/storage/v1`
 * (users write STORAGE_EMULATOR_HOST either way).
 */
export function emulatorBase(endpoint: string): string {
  const withScheme = /^https?:\/\//.test(endpoint) ? endpoint : `http://${endpoint}`;
  return withScheme.replace(/\/+$/, '').replace(/\/storage\/v1$/, '');
}

function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

function preconditionFailed(err: unknown): boolean {
  return httpStatus(err) === 412;
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
  private readonly emulated: boolean;
  private credentialsChecked?: Promise<void>;

  constructor(opts: GcsStorageOptions = {}) {
    const options: StorageOptions = { projectId: opts.projectId };
    this.emulated = opts.apiEndpoint !== undefined;
    if (opts.apiEndpoint) options.apiEndpoint = emulatorBase(opts.apiEndpoint);
    this.client = new Storage(options);
    // The client also reads STORAGE_EMULATOR_HOST itself and then uses it verbatim as the JSON
    // API's base URL: http://127.0.0.1:4443 (the form its own docs show) answered every listing
    // with 404. The configured endpoint wins, with the path the API lives under.
    if (options.apiEndpoint) this.client.baseUrl = `${options.apiEndpoint}/storage/v1`;
    this.resumableThreshold = opts.resumableThresholdBytes ?? RESUMABLE_THRESHOLD_BYTES;
  }

  /**
   * Without credentials the client retries every request before giving up (94 s over a run's
   * attempts); finding none is a setup problem no retry fixes: say so once, at once.
   */
  private ready(uri: string): Promise<void> {
    if (this.emulated) return Promise.resolve();
    this.credentialsChecked ??= this.client.authClient.getClient().then(
      () => undefined,
      (err: unknown) => {
        this.credentialsChecked = undefined; // credentials may appear later (a mounted key file)
        const text = err instanceof Error ? err.message.split('.')[0] : String(err);
        throw permissionDenied(
          `no Google Cloud credentials to open ${uri} (${text}): set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, run where a service account is attached, or set STORAGE_EMULATOR_HOST for an emulator`,
        );
      },
    );
    return this.credentialsChecked;
  }

  private file(uri: string) {
    const { bucket, key } = parseGcsUri(uri);
    if (!key) throw new Error(`not an object URI (no key after the bucket): ${uri}`);
    return this.client.bucket(bucket).file(key);
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    await this.ready(prefix);
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

  async listNamed(prefix: string, namePrefix: string): Promise<ObjectInfo[]> {
    await this.ready(prefix);
    const { bucket, key } = parseGcsUri(prefix);
    const folder = key === '' || key.endsWith('/') ? key : `${key}/`;
    try {
      const [files] = await this.client
        .bucket(bucket)
        .getFiles({ prefix: `${folder}${namePrefix}`, delimiter: '/', autoPaginate: true });
      return files
        .map((f) => ({ uri: `gs://${bucket}/${f.name}`, size: Number(f.metadata.size ?? 0) }))
        .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
    } catch (err) {
      if (httpStatus(err) === 404) return [];
      throw translate(err, prefix, 'list', false);
    }
  }

  async fingerprint(uri: string): Promise<string | undefined> {
    await this.ready(uri);
    try {
      const [meta] = await this.file(uri).getMetadata();
      return meta.generation === undefined ? undefined : `generation:${String(meta.generation)}`;
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw translate(err, uri, 'read', false);
    }
  }

  async stat(uri: string): Promise<ObjectInfo | undefined> {
    if (!parseGcsUri(uri).key) return undefined;
    await this.ready(uri);
    try {
      const [meta] = await this.file(uri).getMetadata();
      return { uri, size: Number(meta.size ?? 0) };
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw translate(err, uri, 'read', false);
    }
  }

  async readText(uri: string): Promise<string> {
    await this.ready(uri);
    try {
      const [buf] = await this.file(uri).download();
      return buf.toString('utf8');
    } catch (err) {
      throw translate(err, uri, 'read', true);
    }
  }

  async writeText(uri: string, text: string): Promise<void> {
    await this.ready(uri);
    try {
      await this.file(uri).save(text, { resumable: false, contentType: 'application/json' });
    } catch (err) {
      throw translate(err, uri, 'write', false);
    }
  }

  async createExclusive(uri: string, text: string): Promise<boolean> {
    await this.ready(uri);
    try {
      await this.file(uri).save(text, {
        resumable: false,
        contentType: 'application/json',
        preconditionOpts: { ifGenerationMatch: 0 },
      });
      return true;
    } catch (err) {
      if (preconditionFailed(err)) return false;
      throw translate(err, uri, 'write', false);
    }
  }

  /** Streams the object to `<scratch>/gcs/<bucket>/<key>` (checksum-validated), via a temporary name. */
  async stageIn(uri: string, scratchDir: string): Promise<string> {
    await this.ready(uri);
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
    await this.ready(uri);
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
    await this.ready(uri);
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

/** The gs:// URI a file staged by `GcsStorage.stageIn` came from (undefined for other paths). */
export function stagedGcsUri(localPath: string): string | undefined {
  const m = /[\\/]gcs[\\/]([a-z0-9][a-z0-9._-]{1,220})[\\/](.+)$/.exec(localPath);
  return m ? `gs://${m[1]}/${m[2]!.split(path.sep).join('/')}` : undefined;
}
