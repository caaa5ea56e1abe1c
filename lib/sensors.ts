// Where waiting sensors register, so a run that publishes an output can wake the runs waiting for
// it: `<data root>/_daybreak/sensors/<hash of the prefix>/<hash of the run>.json`. A sensor
// registers before it looks (so a publish in between is either seen by the look or finds the
// registration) and removes its entry when it has seen the input or gives up; entries of closed
// runs are removed by the publisher that finds them.
import { createHash } from 'node:crypto';
import type { SensorOwner } from './contracts/sensors.js';
import { joinUri, normalizeUri, storageFor } from './storage/index.js';

export interface SensorRegistration {
  /** The prefix as the sensor gave it (what the wake-up signal carries back). */
  uri: string;
  owner: SensorOwner;
  since: string;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 20);

export function sensorRegistry(dataRoot: string): string {
  return joinUri(dataRoot, '_daybreak', 'sensors');
}

const folderOf = (registry: string, uri: string) => joinUri(registry, hash(normalizeUri(uri)));
const entryOf = (registry: string, uri: string, owner: SensorOwner) =>
  joinUri(folderOf(registry, uri), `${hash(`${owner.workflowId}\n${owner.runId}`)}.json`);

export async function registerSensor(registry: string, uri: string, owner: SensorOwner): Promise<void> {
  const entry: SensorRegistration = { uri, owner, since: new Date().toISOString() };
  await storageFor(registry).writeText(entryOf(registry, uri, owner), JSON.stringify(entry));
}

export async function unregisterSensor(registry: string, uri: string, owner: SensorOwner): Promise<void> {
  await storageFor(registry).delete(entryOf(registry, uri, owner));
}

/** The sensors waiting for `uri` (any spelling of the same prefix). */
export async function sensorsWaitingFor(registry: string, uri: string): Promise<SensorRegistration[]> {
  const storage = storageFor(registry);
  const entries: SensorRegistration[] = [];
  for (const obj of await storage.list(folderOf(registry, uri))) {
    if (!obj.uri.endsWith('.json')) continue;
    const entry = await storage
      .readText(obj.uri)
      .then((text) => JSON.parse(text) as SensorRegistration)
      .catch(() => undefined); // removed meanwhile, or half-written
    if (entry?.owner?.workflowId) entries.push(entry);
  }
  return entries;
}
