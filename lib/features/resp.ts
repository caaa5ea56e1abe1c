// The Redis protocol pieces the two raw connections share (RespPipe for bulk loads, RespClient
// for the API's reads): command encoding, the socket, and the AUTH / SELECT a URL asks for.
import net from 'node:net';
import tls from 'node:tls';

function bulk(s: string): string {
  return `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
}

/** RESP of one command. */
export function respCommand(...args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += bulk(a);
  return out;
}

/** A connected socket to a redis:// or rediss:// URL (no handshake yet). */
export function openRedisSocket(redisUrl: string, timeoutMs = 10_000): Promise<net.Socket> {
  const url = new URL(redisUrl);
  const port = Number(url.port || 6379);
  const host = url.hostname || '127.0.0.1';
  return new Promise<net.Socket>((resolve, reject) => {
    const s =
      url.protocol === 'rediss:'
        ? tls.connect({ host, port, servername: host }, () => done())
        : net.connect({ host, port }, () => done());
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect ETIMEDOUT ${host}:${port}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      s.off('error', fail);
      s.setNoDelay(true);
      resolve(s);
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    s.once('error', fail);
  });
}

/** The commands a fresh connection sends first: AUTH (user, password) and SELECT (/db). */
export function connectionCommands(redisUrl: string): string[][] {
  const url = new URL(redisUrl);
  const out: string[][] = [];
  if (url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    out.push(user ? ['AUTH', user, pass] : ['AUTH', pass]);
  }
  const db = url.pathname.replace(/^\//, '');
  if (db) out.push(['SELECT', db]);
  return out;
}
