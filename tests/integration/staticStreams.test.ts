import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/app.js';
import type { Config } from '../../src/server/config.js';
import { startTestServer } from '../support/server.js';

const SIZE = 32 * 1024 * 1024;
let server: RunningServer & { config: Config };
let port: number;

beforeAll(async () => {
  server = await startTestServer();
  port = server.httpPort as number;
});
afterAll(async () => {
  await server.close();
});

/** Sends a GET over a raw socket; resolves with the socket once the status line has arrived. */
function get(file: string) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(`GET /${file} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  let bytes = 0;
  let head = '';
  const headers = new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!head.includes('\r\n\r\n')) {
        head += chunk.toString('latin1');
        if (head.includes('\r\n\r\n')) resolve(head);
      }
    });
  });
  const done = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, headers, done, received: () => bytes - (head.indexOf('\r\n\r\n') + 4) };
}

describe('static file streams', () => {
  it('finishes a reply whose file is deleted after the headers went out', async () => {
    const file = path.join(server.config.staticDir, 'gone.bin');
    writeFileSync(file, Buffer.alloc(SIZE, 7));
    const reply = get('gone.bin');
    const head = await reply.headers;
    expect(head).toMatch(/^HTTP\/1\.1 200/);
    expect(head).toContain(`Content-Length: ${SIZE}`);
    rmSync(file);
    await reply.done;
    expect(reply.received()).toBe(SIZE);
    const again = get('gone.bin');
    expect(await again.headers).toMatch(/^HTTP\/1\.1 404/);
  });

  it('lets go of clients that reset in the middle of a reply, and keeps serving', async () => {
    writeFileSync(path.join(server.config.staticDir, 'big.bin'), Buffer.alloc(SIZE, 1));
    for (let i = 0; i < 30; i++) {
      const reply = get('big.bin');
      await reply.headers;
      reply.socket.resetAndDestroy();
    }
    const health = await fetch(`${server.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const whole = get('big.bin');
    await whole.done;
    expect(whole.received()).toBe(SIZE);
  });
});
