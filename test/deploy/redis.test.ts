// The stack's Redis runs with exactly the arguments docker-compose.yml gives it (on a real
// redis-server here, loopback and a temporary folder instead of the container's /data): a
// password is required, the container health check passes with the password the compose
// environment provides, and data written survives a restart (append-only file on).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
import { freePort } from '../../devstack/dev-server.js';
import { commandArgs, exampleCompose, serviceEnvironment } from '../helpers/compose.js';

const run = promisify(execFile);
const redis = exampleCompose().services.redis!;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'daybreak-redis-'));
let child: ChildProcess | undefined;
let port: number;

afterAll(() => {
  child?.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<void> {
  const [binary, ...args] = commandArgs(redis);
  expect(binary).toBe('redis-server');
  child = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    if ((await cli(['ping']).catch(() => '')).includes('PONG')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('redis-server did not start');
}

async function stop(): Promise<void> {
  const exited = new Promise((r) => child!.on('exit', r));
  await cli(['shutdown']).catch(() => undefined);
  await exited;
}

function cli(args: string[], auth = serviceEnvironment(redis).REDISCLI_AUTH): Promise<string> {
  return run('redis-cli', ['-p', String(port), ...args], {
    env: { PATH: process.env.PATH, ...(auth ? { REDISCLI_AUTH: auth } : {}) },
  }).then((r) => r.stdout.trim());
}

test('compose Redis: password required, health check passes, data survives a restart', async () => {
  port = await freePort();
  await start();
  expect(await cli(['ping'], '')).toMatch(/NOAUTH/);
  // The container's own health check command, as compose runs it (CMD-SHELL, its environment).
  const [kind, shell] = redis.healthcheck!.test as string[];
  expect(kind).toBe('CMD-SHELL');
  await run('sh', ['-c', shell!.replace('redis-cli', `redis-cli -p ${port}`)], {
    env: { PATH: process.env.PATH, ...serviceEnvironment(redis) },
  });
  expect(await cli(['config', 'get', 'appendonly'])).toBe('appendonly\nyes');
  expect(await cli(['config', 'get', 'maxmemory-policy'])).toBe('maxmemory-policy\nnoeviction');
  // Feature-store buckets stay compact listpacks (README: Redis layout).
  expect(await cli(['config', 'get', 'hash-max-listpack-value'])).toBe('hash-max-listpack-value\n512');
  await cli(['set', 'daybreak:deploy-test', 'kept']);
  await stop();
  await start();
  expect(await cli(['get', 'daybreak:deploy-test'])).toBe('kept');
  await stop();
}, 60_000);
