// The API's reader against a real redis-server: it reads the ids in the layers of the pointer it
// knows, then the pointer, in one round trip, and answers only when that pointer is unchanged; when
// a sync switches the pointer (and removes the old keys) between the reads and the check, it reads
// again under the new pointer, never returning the old version's leftovers or spurious misses.
// Legacy versions (a key per entity, written by earlier releases) are read the way they were
// written. The bucket of an id is the same number in TypeScript and in DuckDB.
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bucketSql } from '../../../lib/buckets.js';
import { withDuckDB } from '../../../lib/duckdb.js';
import {
  bucketKey,
  currentKey,
  entityBucket,
  formatPointer,
  legacyEntityKey,
} from '../../../lib/features/keys.js';
import { OnlineReader } from '../../../lib/features/online.js';
import { startLocalRedis, type LocalRedis } from '../../../devstack/redis-server.js';
import { RespClient, type RespReply } from '../../../lib/features/resp-client.js';
import { tempDir } from '../../helpers/temporal.js';

const BUCKETS = 4;
let server: LocalRedis;
let redis: Redis;
let client: RespClient;
const commands: string[] = [];
/** Runs once between a lookup's data commands and its pointer check (a sync switching meanwhile). */
let betweenReadsAndCheck: (() => Promise<void>) | undefined;

beforeAll(async () => {
  server = await startLocalRedis();
  redis = new Redis(server.url);
  redis.on('error', () => {}); // the last test stops the server
  client = new RespClient(server.url);
  await client.ready();
  // Which commands the reader sends, and a hook between its reads and its pointer check: the
  // batch is split in two there (the reader cannot tell, the check comes last either way).
  const exec = client.exec.bind(client);
  client.exec = async (cmds: string[][]): Promise<RespReply[]> => {
    commands.push(...cmds.map((c) => c[0]!));
    const hook = betweenReadsAndCheck;
    if (!hook || cmds.length < 2) return exec(cmds);
    betweenReadsAndCheck = undefined;
    const reads = await exec(cmds.slice(0, -1));
    await hook();
    return [...reads, ...(await exec(cmds.slice(-1)))];
  };
});
afterAll(async () => {
  client?.close();
  redis?.disconnect();
  await server?.stop();
});

async function publish(version: number, layers: number[], values: Record<string, string>) {
  for (const [id, v] of Object.entries(values))
    await redis.hset(bucketKey('t', version, entityBucket(id, BUCKETS)), id, v);
  await redis.set(
    currentKey('t'),
    formatPointer({ version, asOf: `2025-01-0${version}T00:00:00.000Z`, layers, buckets: BUCKETS }),
  );
}

async function removeVersion(version: number) {
  for (let b = 0; b < BUCKETS; b++) await redis.del(bucketKey('t', version, b));
}

test('entityBucket is the bucket DuckDB computes with bucketSql md5-u64', async () => {
  const ids = Array.from({ length: 2000 }, (_, i) => `id-${i}_${(i * 7919).toString(36)}`);
  await withDuckDB({ scratchDir: path.join(tempDir('buckets-js'), 'db') }, async (conn) => {
    for (const buckets of [1, 7, 64, 1_000_003, 2 ** 26 - 1]) {
      const rows = (
        await conn.runAndReadAll(
          `SELECT ${bucketSql('id', buckets, 'md5-u64')} AS b FROM unnest(${`[${ids.map((i) => `'${i}'`).join(',')}]`}) t(id)`,
        )
      ).getRows();
      expect(
        rows.map((r) => Number(r[0])),
        `${buckets} buckets`,
      ).toEqual(ids.map((id) => entityBucket(id, buckets)));
    }
  });
});

test('no version yet: undefined; then the published values, with one round trip once the pointer is known', async () => {
  const reader = new OnlineReader(client);
  expect(await reader.lookup('t', ['a'])).toBeUndefined();
  await publish(1, [1], { a: 'a1', b: 'b1' });
  expect((await reader.lookup('t', ['a', 'b', 'c']))?.values).toEqual(['a1', 'b1', null]);
  commands.length = 0;
  const found = await reader.lookup('t', ['b']);
  expect(found?.values).toEqual(['b1']);
  expect(found?.timestampRadix).toBe(36);
  expect(commands).toEqual(['HGET', 'GET']);
});

test('a full switch with the old keys removed: the next lookup answers from the new version', async () => {
  const reader = new OnlineReader(client);
  await reader.lookup('t', ['a']); // knows version 1
  await publish(2, [2], { a: 'a2' });
  await removeVersion(1);
  const found = await reader.lookup('t', ['a', 'b']);
  expect(found?.pointer.version).toBe(2);
  expect(found?.values).toEqual(['a2', null]);
});

test('a switch while the old keys still exist: never the old values under the new pointer', async () => {
  const reader = new OnlineReader(client);
  await reader.lookup('t', ['a']); // knows version 2
  await publish(3, [3], { a: 'a3' }); // version 2's a2 still in Redis
  const found = await reader.lookup('t', ['a']);
  expect(found?.pointer.version).toBe(3);
  expect(found?.values).toEqual(['a3']);
});

test('a switch and removal between the reads and the pointer check: read again, new version only', async () => {
  const reader = new OnlineReader(client);
  expect((await reader.lookup('t', ['a', 'b']))?.values).toEqual(['a3', null]); // knows version 3
  betweenReadsAndCheck = async () => {
    await publish(4, [4], { a: 'a4', b: 'b4' });
    await removeVersion(3);
  };
  commands.length = 0;
  const found = await reader.lookup('t', ['a', 'b']);
  expect(betweenReadsAndCheck).toBeUndefined(); // the hook ran
  expect(found?.pointer.version).toBe(4);
  expect(found?.values).toEqual(['a4', 'b4']);
  expect(commands.filter((c) => c === 'GET')).toHaveLength(2); // checked, moved, read again
});

test('incremental layers: the newest layer holding an id wins, a tombstone hides older layers', async () => {
  await publish(5, [5], { a: 'a5', b: 'b5', c: 'c5' });
  const reader = new OnlineReader(client);
  await reader.lookup('t', ['a']);
  await publish(6, [6, 5], { b: 'b6', c: '' });
  const batch = await reader.lookup('t', ['a', 'b', 'c', 'd']);
  expect(batch?.values).toEqual(['a5', 'b6', null, null]);
  for (const [id, want] of [
    ['a', 'a5'],
    ['b', 'b6'],
    ['c', null],
    ['d', null],
  ] as const) {
    commands.length = 0;
    expect((await reader.lookup('t', [id]))?.values).toEqual([want]);
    expect(commands).toEqual(['HGET', 'HGET', 'GET']);
  }
});

test('a legacy version (a key per entity, no bucket count in the pointer) is read by MGET', async () => {
  await redis.set(legacyEntityKey('t', 7, 'a'), 'a7');
  await redis.set(legacyEntityKey('t', 7, 'b'), '');
  await redis.set(legacyEntityKey('t', 6, 'b'), 'b6-legacy');
  await redis.set(legacyEntityKey('t', 6, 'c'), 'c6-legacy');
  await redis.set(currentKey('t'), '7|2025-01-07T00:00:00.000Z|7,6');
  const reader = new OnlineReader(client);
  commands.length = 0;
  const found = await reader.lookup('t', ['a', 'b', 'c', 'd']);
  expect(found?.pointer).toEqual({ version: 7, asOf: '2025-01-07T00:00:00.000Z', layers: [7, 6] });
  expect(found?.values).toEqual(['a7', null, 'c6-legacy', null]);
  expect(found?.timestampRadix).toBe(10);
  expect(commands).toEqual(['GET', 'MGET', 'GET']);
});

test('Redis down: lookups fail at once; the client reconnects by itself', async () => {
  const own = new RespClient(server.url, { commandTimeoutMs: 500 });
  await own.ready();
  await server.stop();
  await expect(own.call('PING')).rejects.toThrow(/connecting|closed/i);
  await server.start();
  await own.ready(5000);
  expect(await own.call('PING')).toBe('PONG');
  own.close();
});
