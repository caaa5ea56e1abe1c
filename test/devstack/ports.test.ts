// freePort picks below the kernel's ephemeral range, so an outgoing connection cannot take the
// port between the pick and the server binding it (a busy CI run lost a dev server's UI that way).
import fs from 'node:fs';
import net from 'node:net';
import { expect, test } from 'vitest';
import { freePort, portIsFree } from '../../devstack/ports.js';

test('freePort gives distinct free ports below the ephemeral range', async () => {
  const [ephemeralLow] = fs
    .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(ephemeralLow!);
  }
  expect(new Set(ports).size).toBeGreaterThan(15);
  const server = net.createServer().listen(ports[0], '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    expect(await portIsFree(ports[0]!)).toBe(false);
  } finally {
    server.close();
  }
});
