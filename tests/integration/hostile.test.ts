import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostRoom, joinRoom, TestClient } from '../support/client.js';
import { fuzzFrames } from '../support/fuzz.js';
import {
  frameHeader,
  freePort,
  openRaw,
  type RawConnection,
  rssKiB,
  upgradeRequest,
} from '../support/rawHttp.js';
import { ServerProcess } from '../support/serverProcess.js';

/**
 * The built server (`node dist/node/server/main.js`) on a loopback port, fed what a stranger on the
 * network could send. After every probe it must still answer /healthz, and a room that was open
 * before the probes must still relay chat and signaling between its host and its listener.
 * Run under the dist lock: `flock /tmp/jamsesh-dist.lock npx vitest run tests/integration/hostile.test.ts`.
 */
const PER_ADDRESS = 100;
const HEADERS_TIMEOUT_MS = 1500;

let server: ServerProcess;
let url: string;
let port: number;
let host: TestClient;
let listener: TestClient;
let hostPeer: string;
let listenerPeer: string;
let probes = 0;
let peakHeld = 0;
let rssBefore = 0;
const raws: RawConnection[] = [];

async function raw(): Promise<RawConnection> {
  const c = await openRaw(port);
  raws.push(c);
  probes++;
  return c;
}

beforeAll(async () => {
  port = await freePort();
  server = new ServerProcess(port, {
    LOG_LEVEL: 'error',
    HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
    REQUEST_TIMEOUT_MS: '3000',
    MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
  });
  await server.start();
  url = server.url;
  const room = await hostRoom(url, 'Hana');
  host = room.host;
  hostPeer = room.joined.self.peerId;
  const joined = await joinRoom(url, room.code, 'Ana');
  listener = joined.client;
  listenerPeer = joined.joined.self.peerId;
  rssBefore = await rssKiB(server.pid as number);
});

let round = 0;
afterEach(async () => {
  for (const c of raws.splice(0)) c.socket.destroy();
  expect(server.exitCode).toBeNull();
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  expect(((await health.json()) as { ok: boolean }).ok).toBe(true);
  // Chat both ways in turn (each member's chat allowance is its own), signaling both ways.
  round++;
  const [from, to] = round % 2 ? [host, listener] : [listener, host];
  const text = `still here ${round}`;
  from.send({ type: 'chat', text });
  expect((await to.next('chat')).message.text).toBe(text);
  host.send({
    type: 'signal',
    to: listenerPeer,
    payload: { kind: 'candidate', link: `r${round}`, candidate: null },
  });
  expect(await listener.next('signal')).toMatchObject({ from: hostPeer, payload: { link: `r${round}` } });
  listener.send({
    type: 'signal',
    to: hostPeer,
    payload: { kind: 'candidate', link: `r${round}`, candidate: null },
  });
  expect(await host.next('signal')).toMatchObject({ from: listenerPeer, payload: { link: `r${round}` } });
});

afterAll(async () => {
  const rssAfter = server.pid && server.exitCode === null ? await rssKiB(server.pid) : Number.NaN;
  console.log(
    `hostile input: ${probes} probes tried, ${peakHeld} connections held at peak, ` +
      `server RSS ${Math.round(rssBefore / 1024)} MiB before, ${Math.round(rssAfter / 1024)} MiB after`,
  );
  await Promise.all([host?.close(), listener?.close()]);
  await server?.stop();
});

describe('the built server under hostile input', () => {
  it('survives raw TCP garbage', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await raw();
      c.socket.write(randomBytes(64 + i * 97));
      await c.closed(3000);
    }
  });

  it('answers malformed request lines and headers with a 4xx, upgrade or not', async () => {
    const cases: Array<[string, number]> = [
      [upgradeRequest('//['), 400],
      [upgradeRequest('//[::1'), 400],
      [upgradeRequest('http://[/ws'), 400],
      [upgradeRequest('%%%'), 400],
      [upgradeRequest('/ws', { Host: '[' }), 101],
      [upgradeRequest('/ws', { Origin: 'http://[' }), 403],
      [upgradeRequest('/ws', { Origin: 'null' }), 403],
      [upgradeRequest('/ws', { Origin: 'http://rebind.attacker.example:8080' }), 403],
      [upgradeRequest('/ws', { 'Sec-WebSocket-Key': '' }), 400],
      [upgradeRequest('/ws', { 'Sec-WebSocket-Version': '99' }), 400],
      ['GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400],
      ['GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400],
      ['GET /..%2f..%2f..%2fetc%2fpasswd.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 404],
      ['GET / HTTP/9.9\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nno colon here\r\n\r\n', 400],
      ['GET / HTTP/1.1\r\nHost: a\u0000b\r\n\r\n', 400],
      ['BREW /pot HTCPCP/1.0\r\n\r\n', 400],
      ['\r\n\r\n\r\nGARBAGE\r\n\r\n', 400],
    ];
    for (const [request, status] of cases) {
      const c = await raw();
      c.socket.write(request, 'latin1');
      const reply = await c.waitFor(/^HTTP\/1\.1 \d{3}/, 3000);
      expect([request.split('\r\n')[0], reply.slice(0, 12)]).toEqual([
        request.split('\r\n')[0],
        `HTTP/1.1 ${status}`,
      ]);
    }
  });

  it('refuses oversized request lines and headers', async () => {
    const big = [
      `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(64 * 1024)}\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: ${i}`).join('\r\n')}\r\n\r\n`,
      upgradeRequest('/ws', { 'X-Big': 'c'.repeat(64 * 1024) }),
    ];
    for (const request of big) {
      const c = await raw();
      c.socket.write(request);
      const reply = await c.waitFor(/^HTTP\/1\.1 4\d\d/, 3000).catch(() => c.received());
      expect(reply).not.toMatch(/^HTTP\/1\.1 [123]\d\d/);
      await c.closed(3000);
    }
  });

  it('survives upgrades reset at every stage', async () => {
    const ws = '/ws';
    // Before the headers are complete.
    for (let i = 0; i < 30; i++) {
      const c = await raw();
      c.socket.write(upgradeRequest(ws).slice(0, 10 + i * 3));
      c.socket.resetAndDestroy();
    }
    // While a refusal is being written (a foreign origin, a wrong path, a bad target).
    for (let i = 0; i < 100; i++) {
      const c = await raw();
      const target = ['/ws', '/nope', '//['][i % 3] as string;
      c.socket.write(upgradeRequest(target, { Origin: 'https://evil.example' }));
      if (i % 2) await new Promise((r) => setImmediate(r));
      c.socket.resetAndDestroy();
    }
    // Right after the 101.
    for (let i = 0; i < 20; i++) {
      const c = await raw();
      c.socket.write(upgradeRequest(ws));
      await c.waitFor(/^HTTP\/1\.1 101/);
      c.socket.resetAndDestroy();
    }
    // In the middle of a frame.
    for (let i = 0; i < 20; i++) {
      const c = await raw();
      c.socket.write(upgradeRequest(ws));
      await c.waitFor(/^HTTP\/1\.1 101/);
      c.socket.write(Buffer.concat([frameHeader(200), Buffer.from('{"type":"chat","te')]));
      await new Promise((r) => setTimeout(r, 5));
      c.socket.resetAndDestroy();
    }
  });

  it('times out slow clients that never finish a request (slowloris)', async () => {
    const slow: RawConnection[] = [];
    const upgrade = upgradeRequest('/ws');
    for (let i = 0; i < 40; i++) slow.push(await raw());
    // Half send a page request byte by byte, half an upgrade; a few send nothing at all.
    const drip = setInterval(() => {
      for (const [i, c] of slow.entries()) {
        if (c.isClosed || i % 10 === 9) continue;
        const request = i % 2 ? upgrade : 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
        c.socket.write(request[Math.min(request.length - 5, Math.floor(Date.now() / 200) % 1000)] ?? 'x');
      }
    }, 200);
    try {
      const lifetimes = await Promise.all(slow.map((c) => c.closed(HEADERS_TIMEOUT_MS * 4)));
      expect(Math.max(...lifetimes)).toBeLessThan(HEADERS_TIMEOUT_MS * 3);
    } finally {
      clearInterval(drip);
    }
  });

  it('holds thousands of connections from one address, refusing sockets past the quota', async () => {
    const count = 2000;
    const conns: RawConnection[] = [];
    for (let i = 0; i < count; i += 100) {
      conns.push(...(await Promise.all(Array.from({ length: 100 }, () => raw()))));
    }
    peakHeld = conns.filter((c) => !c.isClosed).length;
    expect(peakHeld).toBe(count);
    for (const c of conns) c.socket.write(upgradeRequest('/ws'));
    const replies = await Promise.all(conns.map((c) => c.waitFor(/^HTTP\/1\.1 \d{3}/, 10_000)));
    const accepted = replies.filter((r) => r.startsWith('HTTP/1.1 101')).length;
    const refused = replies.filter((r) => r.startsWith('HTTP/1.1 429')).length;
    // The host and the listener hold two of this address's places.
    expect(accepted).toBe(PER_ADDRESS - 2);
    expect(refused).toBe(count - accepted);
    for (const c of conns) c.socket.destroy();
    const deadline = Date.now() + 5000;
    for (;;) {
      const health = (await (await fetch(`${url}/healthz`)).json()) as { connections: number };
      if (health.connections === 2) break;
      if (Date.now() > deadline) throw new Error(`still ${health.connections} connections`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('survives the WebSocket fuzz', async () => {
    let sent = 0;
    for (let batch = 0; batch < 10; batch++) {
      const fuzzer = await TestClient.connect(url);
      probes++;
      for (const frame of fuzzFrames(200, 777 + batch)) {
        fuzzer.sendRaw(frame);
        sent++;
        if (sent % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await fuzzer.settle(50);
      expect(fuzzer.invalid).toEqual([]);
      await fuzzer.close();
    }
    expect(sent).toBe(2000);
  });
});
