// Reads of the online store. One Lua script resolves the view's pointer and reads the ids in the
// same atomic step: a reader sees one complete version even while a sync switches the pointer and
// deletes the previous version's keys. Keys are built only from the view prefix and ids the
// caller has validated (ENTITY_ID_PATTERN).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { currentKey, layerPrefix, parsePointer, type Pointer } from './keys.js';

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
    values: values.map((v) => (v === null || v === '' ? null : v)),
  };
}

/** The published pointer of a view, if any (readiness, tests). */
export async function currentPointer(redis: Redis, view: string): Promise<Pointer | undefined> {
  const raw = await redis.get(currentKey(view));
  return raw === null ? undefined : parsePointer(raw);
}
