// Reads of the online store. A reader must see one complete version even while a sync switches
// the pointer and removes the previous version's keys. A lookup reads the ids in the layers of the
// pointer it knows, then the pointer itself, in one round trip (Redis runs a connection's commands
// in order). The answer counts only if that pointer is still the one it read from: a pointer never
// returns to an older version, and a version's keys are removed only after the pointer has left
// it, so an unchanged pointer means nothing was removed under the reads. Otherwise it reads again
// under the new pointer. Pointer before and after an answer are the same: a sync that switches is
// seen by the next request, and no answer mixes two versions.
//
// Keys are built only from the view prefix and ids the caller has validated (ENTITY_ID_PATTERN).
import { TIMESTAMP_RADIX, type TimestampRadix } from './encoding.js';
import { bucketKey, currentKey, entityBucket, legacyEntityKey, parsePointer, type Pointer } from './keys.js';
import { RespError, type RespClient, type RespReply } from './resp-client.js';

/** A pointer moving this often during one lookup means syncs switch faster than reads: give up. */
const MAX_POINTER_MOVES = 5;

export interface LookupResult {
  pointer: Pointer;
  /** The pointer as stored. */
  rawPointer: string;
  /** Encoded value per id; null when absent or removed (tombstone ''). */
  values: Array<string | null>;
  /** How the version's values write timestamps (lib/features/encoding.ts). */
  timestampRadix: TimestampRadix;
}

interface Known {
  pointer: Pointer;
  raw: string;
}

/** The commands reading `ids` under `pointer`, and how to turn their replies into values. */
interface ReadPlan {
  commands: string[][];
  values(replies: RespReply[]): Array<string | null>;
}

function asValue(r: RespReply | undefined): string | null | undefined {
  if (r === null || r === undefined) return undefined;
  if (typeof r !== 'string') throw new Error(`unexpected Redis reply ${JSON.stringify(r)} to a lookup`);
  return r === '' ? null : r; // '' is a tombstone: removed in that layer
}

function bucketedRead(view: string, pointer: Pointer & { buckets: number }, ids: string[]): ReadPlan {
  const { layers, buckets } = pointer;
  if (ids.length === 1) {
    // The common case, kept to one HGET per layer.
    const bucket = entityBucket(ids[0]!, buckets);
    return {
      commands: layers.map((layer) => ['HGET', bucketKey(view, layer, bucket), ids[0]!]),
      values: (replies) => {
        for (let j = 0; j < layers.length; j++) {
          const v = asValue(replies[j]);
          if (v !== undefined) return [v];
        }
        return [null];
      },
    };
  }
  // One HMGET per (layer, bucket): where each id's answer is in the replies.
  const byBucket = new Map<number, number[]>();
  for (let i = 0; i < ids.length; i++) {
    const b = entityBucket(ids[i]!, buckets);
    const list = byBucket.get(b);
    if (list) list.push(i);
    else byBucket.set(b, [i]);
  }
  const commands: string[][] = [];
  const at: Array<[command: number, field: number]> = new Array(ids.length);
  for (const [b, members] of byBucket) {
    members.forEach((i, f) => (at[i] = [commands.length, f]));
    for (const layer of layers)
      commands.push(['HMGET', bucketKey(view, layer, b), ...members.map((i) => ids[i]!)]);
  }
  return {
    commands,
    values: (replies) =>
      ids.map((_, i) => {
        const [first, field] = at[i]!;
        for (let j = 0; j < layers.length; j++) {
          const reply = replies[first + j];
          if (!Array.isArray(reply)) throw new Error('unexpected Redis reply to HMGET');
          const v = asValue(reply[field]);
          if (v !== undefined) return v;
        }
        return null;
      }),
  };
}

/** A legacy version (a string key per entity): one MGET of every id in every layer. */
function legacyRead(view: string, pointer: Pointer, ids: string[]): ReadPlan {
  const { layers } = pointer;
  const keys: string[] = [];
  for (const id of ids) for (const layer of layers) keys.push(legacyEntityKey(view, layer, id));
  return {
    commands: [['MGET', ...keys]],
    values: (replies) => {
      const reply = replies[0];
      if (!Array.isArray(reply)) throw new Error('unexpected Redis reply to MGET');
      return ids.map((_, i) => {
        for (let j = 0; j < layers.length; j++) {
          const v = asValue(reply[i * layers.length + j]);
          if (v !== undefined) return v;
        }
        return null;
      });
    },
  };
}

function readPlan(view: string, pointer: Pointer, ids: string[]): ReadPlan {
  return pointer.buckets === undefined
    ? legacyRead(view, pointer, ids)
    : bucketedRead(view, pointer as Pointer & { buckets: number }, ids);
}

function throwOnError(replies: RespReply[]): void {
  for (const r of replies) if (r instanceof RespError) throw r;
}

/** Lookups for a long-lived client (the API): remembers each view's pointer between requests. */
export class OnlineReader {
  private readonly seen = new Map<string, Known>();

  constructor(private readonly redis: RespClient) {}

  /** Looks ids up in the view's current version; undefined when no version is published. */
  async lookup(view: string, ids: string[]): Promise<LookupResult | undefined> {
    let known = this.seen.get(view) ?? (await this.readPointer(view));
    for (let moves = 0; known; moves++) {
      if (moves === MAX_POINTER_MOVES)
        throw new Error(`the pointer of ${view} moved ${moves} times during one lookup`);
      const plan = readPlan(view, known.pointer, ids);
      plan.commands.push(['GET', currentKey(view)]);
      const replies = await this.redis.exec(plan.commands);
      throwOnError(replies);
      const raw = replies[replies.length - 1];
      if (raw === known.raw) {
        return {
          pointer: known.pointer,
          rawPointer: known.raw,
          values: plan.values(replies),
          timestampRadix: known.pointer.buckets === undefined ? 10 : TIMESTAMP_RADIX,
        };
      }
      known = this.remember(view, raw);
    }
    return undefined;
  }

  private async readPointer(view: string): Promise<Known | undefined> {
    const raw = await this.redis.call('GET', currentKey(view));
    if (raw instanceof RespError) throw raw;
    return this.remember(view, raw);
  }

  private remember(view: string, raw: RespReply | undefined): Known | undefined {
    if (typeof raw !== 'string') {
      this.seen.delete(view);
      return undefined;
    }
    const known = { pointer: parsePointer(raw), raw };
    this.seen.set(view, known);
    return known;
  }
}

/** The published pointer of a view, if any (readiness, tests). */
export async function currentPointer(redis: RespClient, view: string): Promise<Pointer | undefined> {
  const raw = await redis.call('GET', currentKey(view));
  if (raw instanceof RespError) throw raw;
  return typeof raw === 'string' ? parsePointer(raw) : undefined;
}
