import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/app.js';
import { hostRoom, joinRoom, TestClient } from '../support/client.js';
import { startTestServer } from '../support/server.js';

let server: RunningServer;
let url: string;
const clients: TestClient[] = [];
const track = <T extends { client?: TestClient; host?: TestClient }>(x: T): T => {
  if (x.client) clients.push(x.client);
  if (x.host) clients.push(x.host);
  return x;
};

beforeAll(async () => {
  server = await startTestServer({ HOST_GRACE_MS: '600', LISTENER_GRACE_MS: '400' });
  url = server.httpUrl as string;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server.close();
});

describe('a room, through the real server', () => {
  it('is created by its host with a 6-character code and a host token', async () => {
    const { joined } = track(await hostRoom(url, 'Hana'));
    expect(joined.room.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{6}$/);
    expect(joined.self.role).toBe('host');
    expect(joined.self.token.length).toBeGreaterThanOrEqual(32);
    expect(joined.members).toEqual([
      expect.objectContaining({ name: 'Hana', role: 'host', presence: 'online' }),
    ]);
    expect(joined.room.hostId).toBe(joined.self.peerId);
  });

  it('is joined by code; the joiner gets the roster and everyone else a join event', async () => {
    const { host, code } = track(await hostRoom(url));
    const { client: ana } = track(await joinRoom(url, code, 'Ana'));
    const { client: ben, joined } = track(await joinRoom(url, code.toLowerCase(), '  Ben  '));
    expect(joined.members.map((m) => m.name)).toEqual(['Hana', 'Ana', 'Ben']);
    expect((await host.next('member-joined')).member.name).toBe('Ana');
    expect((await host.next('member-joined')).member.name).toBe('Ben');
    expect((await ana.next('member-joined')).member.name).toBe('Ben');
    await ben.settle();
    expect(ben.received.filter((m) => m.type === 'member-joined')).toEqual([]);
  });

  it('refuses a name already used in the room, ignoring case', async () => {
    const { code } = track(await hostRoom(url, 'Hana'));
    const other = await TestClient.connect(url);
    clients.push(other);
    other.send({ type: 'join-room', requestId: 'x', code, name: 'HANA' });
    expect(await other.next('error')).toMatchObject({ code: 'name-taken', requestId: 'x' });
  });

  it('tells everyone when a listener leaves', async () => {
    const { host, code } = track(await hostRoom(url));
    const { client: ana, joined } = track(await joinRoom(url, code, 'Ana'));
    const left = await ana.request({ type: 'leave-room', requestId: 'l' }, 'left');
    expect(left.requestId).toBe('l');
    expect(await host.next('member-left')).toMatchObject({ peerId: joined.self.peerId, reason: 'left' });
  });

  it('relays signaling between the host and a listener, addressed by peer id', async () => {
    const { host, joined: hostJoined, code } = track(await hostRoom(url));
    const { client: ana, joined } = track(await joinRoom(url, code, 'Ana'));
    const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } as const;
    host.send({ type: 'signal', to: joined.self.peerId, payload: offer });
    expect(await ana.next('signal')).toEqual({
      type: 'signal',
      from: hostJoined.self.peerId,
      payload: offer,
    });
    const candidate = {
      kind: 'candidate',
      candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
    } as const;
    ana.send({ type: 'signal', to: hostJoined.self.peerId, payload: candidate });
    expect((await host.next('signal')).payload).toEqual(candidate);
  });

  it('never relays signaling between two listeners or to a peer of another room', async () => {
    const { code } = track(await hostRoom(url));
    const { client: ana } = track(await joinRoom(url, code, 'Ana'));
    const { client: benClient, joined: ben } = track(await joinRoom(url, code, 'Ben'));
    const other = track(await hostRoom(url, 'Otto'));
    const payload = { kind: 'candidate', candidate: null } as const;
    ana.send({ type: 'signal', to: ben.self.peerId, payload });
    expect((await ana.next('error')).code).toBe('peer-not-found');
    ana.send({ type: 'signal', to: other.joined.self.peerId, payload });
    expect((await ana.next('error')).code).toBe('peer-not-found');
    await Promise.all([benClient.settle(), other.host.settle()]);
    expect(benClient.received.filter((m) => m.type === 'signal')).toEqual([]);
    expect(other.host.received.map((m) => m.type)).toEqual(['welcome', 'joined']);
  });

  it('keeps two rooms fully apart: rosters, chat and events never cross', async () => {
    const a = track(await hostRoom(url, 'Alice'));
    const b = track(await hostRoom(url, 'Bob'));
    expect(a.code).not.toBe(b.code);
    const { client: a1 } = track(await joinRoom(url, a.code, 'Ana'));
    const { client: b1, joined: b1joined } = track(await joinRoom(url, b.code, 'Ana'));
    expect(b1joined.members.map((m) => m.name)).toEqual(['Bob', 'Ana']);
    a1.send({ type: 'chat', text: 'only for room A' });
    expect((await a.host.next('chat')).message.text).toBe('only for room A');
    await Promise.all([b.host.settle(), b1.settle()]);
    const crossed = [...b.host.received, ...b1.received].filter(
      (m) => JSON.stringify(m).includes('room A') || JSON.stringify(m).includes(a.joined.self.peerId),
    );
    expect(crossed).toEqual([]);
  });

  it('delivers chat to everyone in the room, as plain text with the sender', async () => {
    const { host, code } = track(await hostRoom(url));
    const { client: ana, joined } = track(await joinRoom(url, code, 'Ana'));
    ana.send({ type: 'chat', text: '  try <b>this</b> https://example.com/song  ' });
    for (const c of [host, ana]) {
      expect((await c.next('chat')).message).toMatchObject({
        from: joined.self.peerId,
        name: 'Ana',
        text: 'try <b>this</b> https://example.com/song',
      });
    }
  });

  it('rate-limits chat per member and says when to try again', async () => {
    const { host } = track(await hostRoom(url));
    for (let i = 0; i < 8; i++) host.send({ type: 'chat', text: `line ${i}` });
    const error = await host.next('error');
    expect(error.code).toBe('rate-limited');
    expect(error.retryAfterMs).toBeGreaterThan(0);
  });

  it('lets only the host kick, and tells the kicked listener', async () => {
    const { host, code } = track(await hostRoom(url));
    const { client: ana, joined: anaJoined } = track(await joinRoom(url, code, 'Ana'));
    const { client: ben, joined: benJoined } = track(await joinRoom(url, code, 'Ben'));
    ana.send({ type: 'kick', requestId: 'k', peerId: benJoined.self.peerId });
    expect(await ana.next('error')).toMatchObject({ code: 'not-host', requestId: 'k' });
    ana.send({ type: 'close-room' });
    expect((await ana.next('error')).code).toBe('not-host');
    host.send({ type: 'kick', peerId: benJoined.self.peerId });
    expect(await ben.next('room-closed')).toMatchObject({ reason: 'kicked', code });
    expect(await ana.next('member-left')).toMatchObject({ peerId: benJoined.self.peerId, reason: 'kicked' });
    ben.send({ type: 'chat', text: 'still here?' });
    expect((await ben.next('error')).code).toBe('not-in-room');
    expect(anaJoined.self.role).toBe('listener');
  });

  it('closes for everyone when the host ends the jam, and the code stops working', async () => {
    const { host, code } = track(await hostRoom(url));
    const { client: ana } = track(await joinRoom(url, code, 'Ana'));
    host.send({ type: 'close-room' });
    expect(await ana.next('room-closed')).toMatchObject({ reason: 'host-closed' });
    expect(await host.next('room-closed')).toMatchObject({ reason: 'host-closed' });
    const late = await TestClient.connect(url);
    clients.push(late);
    late.send({ type: 'join-room', code, name: 'Late' });
    expect((await late.next('error')).code).toBe('room-not-found');
  });
});

describe('dropped connections and reclaiming', () => {
  it('tells listeners at once when the host drops, and lets the host reclaim the room with its token', async () => {
    const { host, joined, code } = track(await hostRoom(url));
    const { client: ana } = track(await joinRoom(url, code, 'Ana'));
    host.drop();
    const away = await ana.next('member-updated');
    expect(away.member).toMatchObject({ peerId: joined.self.peerId, presence: 'reconnecting' });

    const back = await TestClient.connect(url);
    clients.push(back);
    const resumed = await back.request(
      { type: 'resume', requestId: 'r', code, peerId: joined.self.peerId, token: joined.self.token },
      'joined',
    );
    expect(resumed).toMatchObject({ resumed: true, self: { role: 'host', peerId: joined.self.peerId } });
    expect((await ana.next('member-updated')).member.presence).toBe('online');
    back.send({ type: 'chat', text: 'back' });
    expect((await ana.next('chat')).message.text).toBe('back');
  });

  it('closes the room when the host does not come back within the grace period', async () => {
    const { host, code } = track(await hostRoom(url));
    const { client: ana } = track(await joinRoom(url, code, 'Ana'));
    host.drop();
    expect((await ana.next('member-updated')).member.presence).toBe('reconnecting');
    expect(await ana.next('room-closed', 3000)).toMatchObject({ reason: 'host-timeout' });
  });

  it('gives a dropped listener its place back, and frees it after the grace period', async () => {
    const { host, code } = track(await hostRoom(url));
    const { client: ana, joined } = track(await joinRoom(url, code, 'Ana'));
    ana.drop();
    expect((await host.next('member-updated')).member.presence).toBe('reconnecting');
    const again = await TestClient.connect(url);
    clients.push(again);
    const back = await again.request(
      { type: 'resume', code, peerId: joined.self.peerId, token: joined.self.token },
      'joined',
    );
    expect(back.members.find((m) => m.peerId === joined.self.peerId)?.presence).toBe('online');
    again.drop();
    expect(await host.next('member-left', 3000)).toMatchObject({
      peerId: joined.self.peerId,
      reason: 'timeout',
    });
  });

  it('refuses a resume with a forged token', async () => {
    const { joined, code } = track(await hostRoom(url));
    const thief = await TestClient.connect(url);
    clients.push(thief);
    thief.send({ type: 'resume', code, peerId: joined.self.peerId, token: 'x'.repeat(32) });
    expect((await thief.next('error')).code).toBe('invalid-token');
  });

  it('hands the place to the newest connection when a member resumes from a second tab', async () => {
    const { host, joined, code } = track(await hostRoom(url));
    const second = await TestClient.connect(url);
    clients.push(second);
    await second.request(
      { type: 'resume', code, peerId: joined.self.peerId, token: joined.self.token },
      'joined',
    );
    expect(await host.next('room-closed')).toMatchObject({ reason: 'replaced' });
  });
});

describe('the HTTP side', () => {
  it('answers /healthz with the live counts of rooms and connections', async () => {
    // A server of its own: the shared one still holds rooms from earlier tests in their grace period.
    const own = await startTestServer();
    const ownUrl = own.httpUrl as string;
    const health = async () => {
      const res = await fetch(`${ownUrl}/healthz`);
      expect(res.status).toBe(200);
      return (await res.json()) as { ok: boolean; rooms: number; connections: number };
    };
    try {
      expect(await health()).toMatchObject({ ok: true, rooms: 0, connections: 0 });
      const a = track(await hostRoom(ownUrl, 'Hana'));
      const ana = track(await joinRoom(ownUrl, a.code, 'Ana'));
      const b = track(await hostRoom(ownUrl, 'Bob'));
      const idle = await TestClient.connect(ownUrl);
      clients.push(idle);
      expect(await health()).toMatchObject({ rooms: 2, connections: 4 });

      await Promise.all([ana.client.close(), idle.close()]);
      await expect.poll(async () => (await health()).connections).toBe(2);
      b.host.send({ type: 'close-room' });
      await b.host.next('room-closed');
      expect(await health()).toMatchObject({ rooms: 1, connections: 2 });
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await own.close();
    }
  });

  it('serves the app for join links and sets the isolation headers', async () => {
    const res = await fetch(`${url}/join/K7Q4MZ`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('JamSesh');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    // Our own scripts only; WebAssembly compiled by them (the fallback Opus decoder), no eval.
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self' 'wasm-unsafe-eval';");
  });

  it('refuses WebSocket upgrades from a foreign origin and accepts its own', async () => {
    await expect(TestClient.connect(url, { Origin: 'https://evil.example' })).rejects.toThrow(/403/);
    const same = await TestClient.connect(url, { Origin: url.replace('localhost', '127.0.0.1') });
    clients.push(same);
  });
});
