// The API's reader against a real redis-server: it answers from the version its MGET saw the
// pointer at, and when a sync switches the pointer (and deletes the old keys) it never returns the
// old version's leftovers or spurious misses: it sees the switch in the same MGET and re-reads.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { currentKey, entityKey, formatPointer } from '../../../lib/features/keys.js';
import { lookupEntities, OnlineReader } from '../../../lib/features/online.js';
import { startLocalRedis, type LocalRedis } from '../../../devstack/redis-server.js';

let server: LocalRedis;
let redis: Redis;
const commands: string[] = [];

beforeAll(async () => {
  server = await startLocalRedis();
  redis = new Redis(server.url);
  // Which commands the reader sends: script calls vs plain MGETs.
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (cmd, stream) => {
    commands.push(cmd.name);
    return send(cmd, stream);
  };
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

async function publish(version: number, layers: number[], values: Record<string, string>) {
  for (const [id, v] of Object.entries(values)) await redis.set(entityKey('t', version, id), v);
  await redis.set(
    currentKey('t'),
    formatPointer({ version, asOf: `2025-01-0${version}T00:00:00.000Z`, layers }),
  );
}

test('no version yet: undefined; then the published values, by MGET once the pointer is known', async () => {
  const reader = new OnlineReader(redis);
  expect(await reader.lookup('t', ['a'])).toBeUndefined();
  await publish(1, [1], { a: 'a1', b: 'b1' });
  commands.length = 0;
  expect((await reader.lookup('t', ['a', 'b', 'c']))?.values).toEqual(['a1', 'b1', null]);
  expect((await reader.lookup('t', ['b']))?.values).toEqual(['b1']);
  expect(commands.filter((c) => c !== 'evalsha' && c !== 'eval')).toEqual(['mget']);
});

test('a full switch with the old keys deleted: the next lookup answers from the new version', async () => {
  const reader = new OnlineReader(redis);
  await reader.lookup('t', ['a']); // knows version 1
  await publish(2, [2], { a: 'a2' });
  await redis.del(entityKey('t', 1, 'a'), entityKey('t', 1, 'b'));
  const found = await reader.lookup('t', ['a', 'b']);
  expect(found?.pointer.version).toBe(2);
  expect(found?.values).toEqual(['a2', null]);
});

test('a switch while the old keys still exist: never the old values under the new pointer', async () => {
  const reader = new OnlineReader(redis);
  await reader.lookup('t', ['a']); // knows version 2
  await publish(3, [3], { a: 'a3' }); // version 2's a2 still in Redis
  expect((await reader.lookup('t', ['a']))?.values).toEqual(['a3']);
});

test('incremental layers: the newest layer holding an id wins, a tombstone hides older layers', async () => {
  await publish(4, [4], { a: 'a4', b: 'b4', c: 'c4' });
  const reader = new OnlineReader(redis);
  await reader.lookup('t', ['a']);
  await publish(5, [5, 4], { b: 'b5', c: '' });
  const viaReader = await reader.lookup('t', ['a', 'b', 'c', 'd']);
  expect(viaReader?.values).toEqual(['a4', 'b5', null, null]);
  // Same answer as the script's lookup, now by MGET with the cached layers.
  commands.length = 0;
  expect((await reader.lookup('t', ['a', 'b', 'c', 'd']))?.values).toEqual(viaReader?.values);
  expect(commands).toEqual(['mget']);
  expect((await lookupEntities(redis, 't', ['a', 'b', 'c', 'd']))?.values).toEqual(viaReader?.values);
});
