// Connections to Temporal, following Temporal's environment-configuration convention
// (@temporalio/envconfig: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, profiles),
// so a user's existing Temporal set-up just works.
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

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(connectOptions(config));
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
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
