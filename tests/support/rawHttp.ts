import { randomBytes } from 'node:crypto';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';

/** A free loopback port (for a server process that must be given one). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A raw TCP connection to the server, with everything it received and when it closed. */
export interface RawConnection {
  socket: Socket;
  /** Bytes received so far, as latin1 text. */
  received(): string;
  /** Resolves when the server has sent something matching, or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the ms from connect to close (by either side), or rejects after `timeoutMs`. */
  closed(timeoutMs?: number): Promise<number>;
  readonly isClosed: boolean;
}

export async function openRaw(port: number): Promise<RawConnection> {
  const socket = tcpConnect(port, '127.0.0.1');
  const openedAt = Date.now();
  let data = '';
  let closedAt: number | undefined;
  const wake: Array<() => void> = [];
  const poke = () => {
    for (const w of wake.splice(0)) w();
  };
  socket.on('data', (chunk) => {
    data += chunk.toString('latin1');
    poke();
  });
  // The server may reset us on purpose: that is an outcome, not a test failure.
  socket.on('error', () => {});
  socket.on('close', () => {
    closedAt = Date.now();
    poke();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const until = (done: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else wake.push(check);
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      check();
    });
  return {
    socket,
    received: () => data,
    async waitFor(pattern, timeoutMs = 3000) {
      await until(() => pattern.test(data) || closedAt !== undefined, timeoutMs, String(pattern));
      if (!pattern.test(data)) throw new Error(`closed before ${pattern}; got ${JSON.stringify(data)}`);
      return data;
    },
    async closed(timeoutMs = 3000) {
      await until(() => closedAt !== undefined, timeoutMs, 'the server to close');
      return (closedAt as number) - openedAt;
    },
    get isClosed() {
      return closedAt !== undefined;
    },
  };
}

/** A WebSocket upgrade request for `target`, with the headers a browser would send plus `extra`. */
export function upgradeRequest(target: string, extra: Record<string, string> = {}): string {
  const headers: Record<string, string> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `GET ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A masked client WebSocket frame header announcing `length` payload bytes (opcode 1, text). */
export function frameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, 0x80 | length, 1, 2, 3, 4]);
  const b = Buffer.alloc(8);
  b[0] = 0x81;
  b[1] = 0x80 | 126;
  b.writeUInt16BE(length, 2);
  b.set([1, 2, 3, 4], 4);
  return b;
}

/** VmRSS of a process in KiB, from /proc. */
export async function rssKiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}
