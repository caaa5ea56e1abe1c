// The ports the local stack listens on. A taken port is found before a server is started on it:
// a dev server that fails to bind would otherwise pass its readiness check against whichever
// process already answers there.
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
