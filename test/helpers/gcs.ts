// Test helpers for GCS: the real emulator (fake-gcs-server, Go-built into the cache folder) on a
// free port, and a small forwarding proxy that answers 403 for chosen objects, because the
// emulator has no IAM and never refuses anything.
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { startFakeGcsServer, type FakeGcsServer } from '../../devstack/fake-gcs.js';
import { freePort } from '../../devstack/dev-server.js';
import type { GcsStorage } from '../../lib/storage/gcs.js';

export async function startEmulator(): Promise<FakeGcsServer> {
  return startFakeGcsServer({ binary: inject('tools')['fake-gcs-server'] });
}

/** Creates a bucket in the emulator through its JSON API. */
export async function createBucket(emulatorUrl: string, name: string): Promise<void> {
  const res = await fetch(`${emulatorUrl}/storage/v1/b?project=test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw new Error(`create bucket ${name}: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Uploads a local file, or every file under a local folder, to `uri` (the folder's relative paths
 * appended). Copies are uploaded: `putFile` moves its file, as it does when publishing outputs.
 */
export async function uploadTree(gcs: GcsStorage, local: string, uri: string): Promise<void> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'gcs-upload-'));
  const upload = async (file: string, target: string) => {
    const copy = path.join(scratch, path.basename(file));
    await fs.copyFile(file, copy);
    await gcs.putFile(copy, target);
  };
  if ((await fs.stat(local)).isFile()) await upload(local, uri);
  else {
    for (const entry of await fs.readdir(local, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      await upload(full, `${uri}/${path.relative(local, full).split(path.sep).join('/')}`);
    }
  }
  await fs.rm(scratch, { recursive: true, force: true });
}

export interface ForbiddingProxy {
  url: string;
  /** Requests answered 403 so far. */
  refused: string[];
  stop(): Promise<void>;
}

/**
 * Forwards every request to `target` except those whose decoded path contains one of
 * `forbidden` (object names), which get the JSON 403 GCS returns for a missing IAM permission.
 */
export async function startForbiddingProxy(target: string, forbidden: string[]): Promise<ForbiddingProxy> {
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '');
    if (forbidden.some((name) => url.includes(name))) {
      refused.push(url);
      req.resume();
      // The body real GCS sends for a missing IAM permission.
      const message =
        'daybreak-test@example.iam.gserviceaccount.com does not have storage.objects.get access';
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { code: 403, message, errors: [{ message, domain: 'global', reason: 'forbidden' }] },
        }),
      );
      return;
    }
    const upstream = http.request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
