// Storage URIs: `gs://bucket/prefix` or a local path (relative paths resolve against the cwd).
import path from 'node:path';

export function isGcsUri(uri: string): boolean {
  return uri.startsWith('gs://');
}

/** Splits gs://bucket/key into its parts; the key has no leading slash. */
export function parseGcsUri(uri: string): { bucket: string; key: string } {
  const m = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220})(?:\/(.*))?$/.exec(uri);
  if (!m) throw new Error(`not a valid GCS URI (gs://bucket/prefix): ${JSON.stringify(uri)}`);
  return { bucket: m[1]!, key: m[2] ?? '' };
}

/** Joins URI segments with single slashes; local paths are normalised and made absolute. */
export function joinUri(base: string, ...parts: string[]): string {
  if (isGcsUri(base)) {
    const tail = parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean);
    return [base.replace(/\/+$/, ''), ...tail].join('/');
  }
  return path.resolve(base, ...parts);
}

/** A normalised form: absolute for local paths, no trailing slash for GCS. */
export function normalizeUri(uri: string): string {
  return isGcsUri(uri) ? uri.replace(/\/+$/, '') : path.resolve(uri);
}

export function basename(uri: string): string {
  return isGcsUri(uri) ? uri.slice(uri.lastIndexOf('/') + 1) : path.basename(uri);
}

export function dirname(uri: string): string {
  return isGcsUri(uri) ? uri.slice(0, uri.lastIndexOf('/')) : path.dirname(uri);
}

export function hasGlob(uri: string): boolean {
  return /[*?[\]{}]/.test(uri);
}
