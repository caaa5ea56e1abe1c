// Reads of the online store. A reader must see one complete version even while a sync switches
// the pointer and deletes the previous version's keys. Two ways, both one atomic Redis command:
// - OnlineReader (the API): MGET of the pointer key and the ids' keys in the layers of the pointer
//   it saw last; the answer counts only if the pointer read in the same MGET is still that one.
// - lookupEntities: a Lua script resolves the pointer and reads the ids in one step; the reader's
//   first lookup of a view, and any lookup that finds the pointer moved, goes through it.
// Keys are built only from the view prefix and ids the caller has validated (ENTITY_ID_PATTERN).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { currentKey, entityKey, layerPrefix, parsePointer, type Pointer } from './keys.js';

// KEYS[1] = fs:<view>:current, KEYS[2] = fs:<view>:v ; ARGV = ids.
// Returns false when no version is published, else {pointer, value or false per id}.
export const LOOKUP_LUA = `
local p = redis.call('GET', KEYS[1])
if not p then return false end
local layers = {}
for l in string.gmatch(string.match(p, '[^|]*$'), '[^,]+') do layers[#layers + 1] = l end
local out = {p}
for i = 1, #ARGV do
  local found = false
  for j = 1, #layers do
    local v = redis.call('GET', KEYS[2] .. layers[j] .. ':' .. ARGV[i])
    if v then found = v break end
  end
  out[i + 1] = found
end
return out`;

const LOOKUP_SHA = createHash('sha1').update(LOOKUP_LUA).digest('hex');

export interface LookupResult {
  pointer: Pointer;
  /** The pointer as stored (what a later read compares against). */
  rawPointer: string;
  /** Encoded value per id; null when absent or deleted (tombstone ''). */
  values: Array<string | null>;
}

/** Looks ids up in the view's current version; undefined when no version is published. */
export async function lookupEntities(
  redis: Redis,
  view: string,
  ids: string[],
): Promise<LookupResult | undefined> {
  const args = [currentKey(view), layerPrefix(view), ...ids];
  let reply: unknown;
  try {
    reply = await redis.evalsha(LOOKUP_SHA, 2, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    reply = await redis.eval(LOOKUP_LUA, 2, ...args);
  }
  if (!Array.isArray(reply)) return undefined;
  const [pointer, ...values] = reply as Array<string | null>;
  return {
    pointer: parsePointer(pointer!),
    rawPointer: pointer!,
    values: values.map((v) => (v === null || v === '' ? null : v)),
  };
}

/**
 * Lookups for a long-lived client (the API). A plain MGET costs Redis a fraction of a script
 * call, and on a small box Redis shares the cores with the API (bench:feature-api).
 */
export class OnlineReader {
  /** Per view, the pointer of the last answer. */
  private readonly seen = new Map<string, Pick<LookupResult, 'pointer' | 'rawPointer'>>();

  constructor(private readonly redis: Redis) {}

  async lookup(view: string, ids: string[]): Promise<LookupResult | undefined> {
    const last = this.seen.get(view);
    if (last) {
      const { layers } = last.pointer;
      const keys = [currentKey(view)];
      for (const id of ids) for (const layer of layers) keys.push(entityKey(view, layer, id));
      const reply = await this.redis.mget(keys);
      if (reply[0] === last.rawPointer) {
        const values = ids.map((_, i) => {
          // The first layer holding the id wins; '' is a tombstone (removed in that layer).
          for (let j = 0; j < layers.length; j++) {
            const v = reply[1 + i * layers.length + j];
            if (v !== null && v !== undefined) return v === '' ? null : v;
          }
          return null;
        });
        return { pointer: last.pointer, rawPointer: last.rawPointer, values };
      }
    }
    const found = await lookupEntities(this.redis, view, ids);
    if (found) this.seen.set(view, { pointer: found.pointer, rawPointer: found.rawPointer });
    else this.seen.delete(view);
    return found;
  }
}

/** The published pointer of a view, if any (readiness, tests). */
export async function currentPointer(redis: Redis, view: string): Promise<Pointer | undefined> {
  const raw = await redis.get(currentKey(view));
  return raw === null ? undefined : parsePointer(raw);
}
