// Connections to Temporal, following Temporal's environment-configuration convention
// (@temporalio/envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, profiles),
// so a user's existing Temporal set-up just works.
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnection } from '@temporalio/worker';
import { processEnvironment, type Config } from './config.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

function connectOptions(config: Config) {
  const fromEnv = loadClientConnectConfig({
    overrideEnvVars: Object.fromEntries(
      Object.entries(processEnvironment()).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  });
  const options = { ...fromEnv.connectionOptions, address: config.TEMPORAL_ADDRESS };
  if (config.TEMPORAL_API_KEY) options.apiKey = config.TEMPORAL_API_KEY;
  return options;
}

/** Nothing answers at TEMPORAL_ADDRESS (refused, unreachable, or no answer before the deadline). */
export class TemporalUnreachableError extends Error {
  override name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    readonly reason: string,
  ) {
    super(`no Temporal server answers at ${address}: ${reason}`);
  }
}

/** How long a client waits for the server before saying it is not there. */
const CLIENT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * A TCP connect to `address`: a refused or unreachable port is known at once, where the gRPC
 * client would retry until its deadline (10 s and more) before saying the same thing.
 */
function probeTcp(address: string, timeoutMs: number): Promise<void> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port)) return Promise.resolve(); // let the client report the bad address
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(new TemporalUnreachableError(address, err.message));
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no TCP answer within ${timeoutMs / 1000} s`)));
    socket.once('connect', () => done());
    socket.once('error', (err) => done(err));
  });
}

export async function connectClient(config: Config): Promise<Client> {
  await probeTcp(config.TEMPORAL_ADDRESS, CLIENT_CONNECT_TIMEOUT_MS);
  try {
    const connection = await Connection.connect({
      ...connectOptions(config),
      connectTimeout: CLIENT_CONNECT_TIMEOUT_MS,
    });
    return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  } catch (err) {
    if (err instanceof Error && /^Failed to connect before the deadline/.test(err.message))
      throw new TemporalUnreachableError(config.TEMPORAL_ADDRESS, err.message);
    throw err;
  }
}

export async function connectWorkerConnection(config: Config): Promise<NativeConnection> {
  // Loaded here so clients (the CLI's run, status, schedules) do not load the worker package.
  const { NativeConnection } = await import('@temporalio/worker');
  return NativeConnection.connect(connectOptions(config));
}

/** Link to one run's history in the Temporal Web UI. */
export function webUiRunUrl(
  config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>,
  workflowId: string,
  runId?: string,
): string {
  const base = config.TEMPORAL_UI_URL.replace(/\/+$/, '');
  const ns = encodeURIComponent(config.TEMPORAL_NAMESPACE);
  const id = encodeURIComponent(workflowId);
  return runId
    ? `${base}/namespaces/${ns}/workflows/${id}/${runId}/history`
    : `${base}/namespaces/${ns}/workflows/${id}`;
}
