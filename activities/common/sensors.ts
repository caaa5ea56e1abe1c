// Waking the sensors waiting for an output a run has just published: each registered run gets the
// `inputPublished` signal at once, instead of finding the manifest at its next look. Entries of
// runs that have closed are removed. Never fails the publishing run: a sensor that misses its
// signal still finds the manifest at its next look.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../../lib/config.js';
import { inputPublishedSignal } from '../../lib/contracts/sensors.js';
import { sensorRegistry, sensorsWaitingFor, unregisterSensor } from '../../lib/sensors.js';

export interface WakeResult {
  /** Runs signalled. */
  woken: string[];
  /** Registrations of closed runs, removed. */
  removed: number;
}

export async function wakeSensors(
  config: Pick<Config, 'DAYBREAK_DATA_ROOT'>,
  client: Client,
  prefix: string,
): Promise<WakeResult> {
  const registry = sensorRegistry(config.DAYBREAK_DATA_ROOT);
  const result: WakeResult = { woken: [], removed: 0 };
  for (const entry of await sensorsWaitingFor(registry, prefix)) {
    try {
      await client.workflow
        .getHandle(entry.owner.workflowId, entry.owner.runId)
        .signal(inputPublishedSignal, { uri: entry.uri });
      result.woken.push(entry.owner.workflowId);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      await unregisterSensor(registry, entry.uri, entry.owner); // the run has closed
      result.removed += 1;
    }
  }
  return result;
}
