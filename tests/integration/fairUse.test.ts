import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/app.js';
import { hostRoom, joinRoom, TestClient } from '../support/client.js';
import { startTestServer } from '../support/server.js';

const servers: RunningServer[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(env: Record<string, string> = {}) {
  const s = await startTestServer(env);
  servers.push(s);
  return { server: s, url: s.httpUrl as string };
}
async function connect(url: string, headers: Record<string, string> = {}) {
  const c = await TestClient.connect(url, headers);
  clients.push(c);
  return c;
}

/**
 * Sends one wrong code on each of `connections` connections at once and counts the answers:
 * the room code brute-force bound must hold per address, however many sockets it opens.
 */
async function guessOnMany(url: string, code: string, headersFor: (i: number) => Record<string, string>) {
  const guessers = await Promise.all(Array.from({ length: 20 }, (_, i) => connect(url, headersFor(i))));
  for (const g of guessers) g.send({ type: 'join-room', code: 'ZZZZZ0', name: 'g' });
  const answers = await Promise.all(guessers.map((g) => g.next('error')));
  // Then the right code, from a fresh connection of the same client: refused all the same.
  const lucky = await connect(url, headersFor(99));
  lucky.send({ type: 'join-room', code, name: 'lucky' });
  return { answers: answers.map((a) => a.code), lucky: (await lucky.next('error')).code };
}

describe('the room-code brute-force bound', () => {
  it('holds against one client with many connections', async () => {
    const { url } = await start({ JOIN_BURST: '5', JOIN_LEAK_MS: '60000' });
    const { host, code } = await hostRoom(url);
    clients.push(host);
    const { answers, lucky } = await guessOnMany(url, code, () => ({}));
    expect(answers.filter((a) => a === 'room-not-found')).toHaveLength(5);
    expect(answers.filter((a) => a === 'too-many-attempts')).toHaveLength(15);
    expect(lucky).toBe('too-many-attempts');
  });

  it('holds behind TRUST_PROXY=1 against a client that forges X-Forwarded-For', async () => {
    const { url } = await start({ TRUST_PROXY: '1', JOIN_BURST: '5', JOIN_LEAK_MS: '60000' });
    const { host, code } = await hostRoom(url);
    clients.push(host);
    // The client writes whatever it likes; our proxy appends the address it really saw.
    const { answers, lucky } = await guessOnMany(url, code, (i) => ({
      'X-Forwarded-For': `10.${i}.0.1, 198.51.100.${i}, 203.0.113.50`,
    }));
    expect(answers.filter((a) => a === 'room-not-found')).toHaveLength(5);
    expect(lucky).toBe('too-many-attempts');
  });

  it('holds behind TRUST_PROXY=<proxy address> when the forger poses as a proxy too', async () => {
    const { url } = await start({
      TRUST_PROXY: '127.0.0.1, 10.0.0.0/8',
      JOIN_BURST: '5',
      JOIN_LEAK_MS: '60000',
    });
    const { host, code } = await hostRoom(url);
    clients.push(host);
    const { answers, lucky } = await guessOnMany(url, code, (i) => ({
      'X-Forwarded-For': `198.51.100.${i}, 10.9.9.${i}, 203.0.113.50, 10.0.0.2`,
    }));
    expect(answers.filter((a) => a === 'room-not-found')).toHaveLength(5);
    expect(lucky).toBe('too-many-attempts');
  });

  it('holds against an IPv6 client that spreads over its /64', async () => {
    const { url } = await start({ TRUST_PROXY: '1', JOIN_BURST: '5', JOIN_LEAK_MS: '60000' });
    const { host, code } = await hostRoom(url);
    clients.push(host);
    const { answers, lucky } = await guessOnMany(url, code, (i) => ({
      'X-Forwarded-For': `2001:db8:7:7:${(i + 1).toString(16)}::1`,
    }));
    expect(answers.filter((a) => a === 'room-not-found')).toHaveLength(5);
    expect(lucky).toBe('too-many-attempts');
    // Another /64 is another household.
    const other = await connect(url, { 'X-Forwarded-For': '2001:db8:7:8::1' });
    await other.request({ type: 'join-room', code, name: 'Neighbour' }, 'joined');
  });
});

describe('per-address quotas', () => {
  it('refuses WebSockets past MAX_CONNECTIONS_PER_ADDRESS, for that address only', async () => {
    const { url } = await start({ TRUST_PROXY: '1', MAX_CONNECTIONS_PER_ADDRESS: '3' });
    const me = { 'X-Forwarded-For': '203.0.113.8' };
    const mine = [await connect(url, me), await connect(url, me), await connect(url, me)];
    await expect(TestClient.connect(url, me)).rejects.toThrow(/HTTP 429/);
    // Another address is not held back, and a place freed is a place again.
    await connect(url, { 'X-Forwarded-For': '203.0.113.9' });
    await (mine[0] as TestClient).close();
    await new Promise((r) => setTimeout(r, 100));
    await connect(url, me);
  });

  it('limits the rooms one address hosts at once and how fast it creates them', async () => {
    const { url } = await start({ MAX_ROOMS_PER_ADDRESS: '2', CREATE_BURST: '3', CREATE_LEAK_MS: '60000' });
    const a = await connect(url);
    const b = await connect(url);
    const c = await connect(url);
    await a.request({ type: 'create-room', name: 'A' }, 'joined');
    await b.request({ type: 'create-room', name: 'B' }, 'joined');
    c.send({ type: 'create-room', name: 'C' });
    expect(await c.next('error')).toMatchObject({ code: 'rate-limited', message: /hosts as many/ });
    // Closing one frees a place, but the third creation in a row is the burst's last.
    a.send({ type: 'close-room' });
    await a.next('room-closed');
    await c.request({ type: 'create-room', name: 'C' }, 'joined');
    b.send({ type: 'close-room' });
    await b.next('room-closed');
    b.send({ type: 'create-room', name: 'B2' });
    const refused = await b.next('error');
    expect(refused).toMatchObject({ code: 'rate-limited', message: /too many new jams/ });
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
  });
});

describe('idle sockets and rooms', () => {
  it('closes a socket that joins no room within IDLE_SOCKET_MS with the idle close code', async () => {
    const { url } = await start({ IDLE_SOCKET_MS: '600' });
    const { host, code } = await hostRoom(url);
    clients.push(host);
    const idle = await connect(url);
    const started = Date.now();
    await expect(idle.next('pong', 3000)).rejects.toThrow(new RegExp(`closed \\(${CLOSE_CODES.idle}\\)`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(Date.now() - started).toBeLessThan(1500);
    // The host, in a room all along, is still connected; a listener that leaves is idle from then.
    host.send({ type: 'ping', t: 5 });
    expect((await host.next('pong')).t).toBe(5);
    const { client } = await joinRoom(url, code, 'Ana');
    clients.push(client);
    await client.request({ type: 'leave-room', requestId: 'l' }, 'left');
    await expect(client.next('pong', 3000)).rejects.toThrow(new RegExp(`closed \\(${CLOSE_CODES.idle}\\)`));
  });

  it('ends a room with no listener and no activity for ROOM_IDLE_MS, and keeps one with a listener', async () => {
    const { url } = await start({ ROOM_IDLE_MS: '1000' });
    const lonely = await hostRoom(url, 'Solo');
    const busy = await hostRoom(url, 'Busy');
    clients.push(lonely.host, busy.host);
    const { client } = await joinRoom(url, busy.code, 'Ana');
    clients.push(client);
    expect(await lonely.host.next('room-closed', 3000)).toMatchObject({ code: lonely.code, reason: 'idle' });
    await new Promise((r) => setTimeout(r, 600));
    busy.host.send({ type: 'chat', text: 'still here' });
    expect((await client.next('chat')).message.text).toBe('still here');
  });
});

describe('plain http at a LAN address', () => {
  it('redirects pages to https and refuses WebSockets with the address to open', async () => {
    const { server, url } = await start({ HTTPS_PORT: '0' });
    const https = `https://192.168.7.20:${server.httpsPort}`;
    const lan = await get(`${url}/join/K7Q4MZ?latency=playback`, { Host: '192.168.7.20:8080' });
    expect([lan.status, lan.location]).toEqual([308, `${https}/join/K7Q4MZ?latency=playback`]);
    // localhost is a secure context over http: served here.
    expect((await get(`${url}/`, { Host: 'localhost:8080' })).status).toBe(200);
    const ws = await connectRefused(url, { Host: '192.168.7.20:8080' });
    expect(ws).toEqual({ code: CLOSE_CODES.useHttps, reason: `open ${https} instead` });
  });

  it('does not redirect when a trusted proxy says the request came over https', async () => {
    const { url } = await start({ HTTPS_PORT: '0', TRUST_PROXY: '1' });
    const res = await get(`${url}/`, { Host: 'jam.example.com', 'X-Forwarded-Proto': 'https' });
    expect(res.status).toBe(200);
    // Our proxy appends what it saw (http); what the client wrote before it does not count.
    const forged = await get(`${url}/`, { Host: 'jam.example.com', 'X-Forwarded-Proto': 'https, http' });
    expect(forged.status).toBe(308);
  });

  it('does not redirect when HTTPS is off (a TLS-terminating proxy in front)', async () => {
    const { url } = await start({ HTTPS_PORT: 'off' });
    const res = await get(`${url}/`, { Host: '192.168.7.20:8080' });
    expect(res.status).toBe(200);
  });
});

describe('the WebSocket origin check', () => {
  it("accepts this server's own addresses and refuses a DNS-rebinding page", async () => {
    const { server, url } = await start({ ALLOWED_ORIGINS: 'https://friend.example' });
    const port = server.httpPort as number;
    await connect(url, { Origin: `http://127.0.0.1:${port}` });
    await connect(url, { Origin: 'http://localhost:5173' });
    await connect(url, { Origin: 'https://friend.example' });
    // The page's name resolves here and the browser sends it as Host: equal, and still refused.
    const rebind = `http://rebind.attacker.example:${port}`;
    await expect(
      TestClient.connect(url, { Origin: rebind, Host: `rebind.attacker.example:${port}` }),
    ).rejects.toThrow(/HTTP 403/);
  });
});

/** Opens a raw WebSocket and resolves with the close code and reason the server gave. */
async function connectRefused(url: string, headers: Record<string, string>) {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers });
  return new Promise<{ code: number; reason: string }>((resolve, reject) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

/** A GET with any Host header (fetch will not send one of ours). */
function get(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on('error', reject);
    req.end();
  });
}
