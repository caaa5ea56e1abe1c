// Serves Daybreak's prom-client registry at /metrics (METRICS_PORT) from a worker process, and
// seeds the last-success gauge from published manifests so the staleness rule survives restarts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../lib/config.js';
import { recordLastSuccess, registerPipelineLabels, registry } from '../lib/metrics.js';
import { readManifest } from '../lib/storage/manifest.js';
import { storageFor } from '../lib/storage/index.js';
import { PIPELINES, type Catalogue } from '../pipelines/index.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(config: Config, port = config.METRICS_PORT): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found; metrics are at /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.METRICS_HOST, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Sets `daybreak_pipeline_last_success_timestamp_seconds` from the newest `_SUCCESS` manifest of
 * each catalogue pipeline's output (`<DAYBREAK_DATA_ROOT>/curated/<pipeline>/dt=*`). Returns what it set.
 */
export async function seedLastSuccess(
  config: Config,
  catalogue: Catalogue = PIPELINES,
): Promise<Record<string, string>> {
  const seeded: Record<string, string> = {};
  registerPipelineLabels(catalogue.names());
  for (const def of catalogue.pipelines) {
    const pipeline = def.name;
    const prefix = def.output.location(config.DAYBREAK_DATA_ROOT);
    let objects;
    try {
      objects = await storageFor(prefix).list(prefix);
    } catch {
      continue; // nothing published yet, or the root is unreachable: the rule will say so
    }
    const partitions = objects
      .map((o) => /\/dt=(\d{4}-\d{2}-\d{2})\/_SUCCESS$/.exec(o.uri)?.[1])
      .filter((d): d is string => d !== undefined)
      .sort();
    // The newest few dates: a re-run of an older date may be the latest success.
    let newest: Date | undefined;
    for (const dt of partitions.slice(-3)) {
      const manifest = await readManifest(def.output.uri(config.DAYBREAK_DATA_ROOT, dt)).catch(
        () => undefined,
      );
      const created = manifest ? new Date(manifest.createdAt) : undefined;
      if (created && !Number.isNaN(created.getTime()) && (!newest || created > newest)) newest = created;
    }
    if (newest) {
      recordLastSuccess(pipeline, newest);
      seeded[pipeline] = newest.toISOString();
    }
  }
  return seeded;
}
