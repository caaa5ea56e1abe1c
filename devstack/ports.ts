// The ports the local stack listens on. A taken port is found before a server is started on it:
// a dev server that fails to bind would otherwise pass its readiness check against whichever
// process already answers there.
import fs from 'node:fs';
import net from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/** Whether nothing listens on host:port (we bind it for a moment to find out). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Throws a PortInUseError naming the port, what wanted it and the variable that moves it. */
export async function requireFreePort(port: number, what: string, variable: string): Promise<void> {
  if (await portIsFree(port)) return;
  throw new PortInUseError(
    `port ${port} (${what}) is already in use by another process: stop that process, or set ${variable} to use another port`,
  );
}

/** The kernel's range for outgoing connections' local ports (Linux; the usual default elsewhere). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = fs
      .readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux: IANA's dynamic range
  }
  return [49152, 65535];
}

const LOWEST_PICKED_PORT = 10_000;

/**
 * A loopback port nothing listens on, for a server started a moment later. Picked at random
 * below the kernel's ephemeral range: a port the OS hands out (listen(0)) can be taken again
 * by any outgoing connection before our server binds it, which a busy test run did.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const span = ephemeralLow - LOWEST_PICKED_PORT;
  for (let attempt = 0; span > 1000 && attempt < 100; attempt++) {
    const port = LOWEST_PICKED_PORT + Math.floor(Math.random() * span);
    if (await portIsFree(port)) return port;
  }
  return osAssignedPort();
}

function osAssignedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
