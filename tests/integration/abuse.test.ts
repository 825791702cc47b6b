import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/protocol/index.js';
import type { RunningServer } from '../../src/server/app.js';
import { hostRoom, joinRoom, TestClient } from '../support/client.js';
import { fuzzFrames } from '../support/fuzz.js';
import { startTestServer } from '../support/server.js';

let server: RunningServer;
let url: string;
const clients: TestClient[] = [];
async function connect(headers: Record<string, string> = {}): Promise<TestClient> {
  const c = await TestClient.connect(url, headers);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  // TRUST_PROXY lets each test pose as its own address, so brute-force slow-downs don't leak between tests.
  server = await startTestServer({ TRUST_PROXY: '1', JOIN_BURST: '5', JOIN_LEAK_MS: '60000' });
  url = server.httpUrl as string;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await server.close();
});

describe('bad input gets an error code and the server stays up', () => {
  it.each([
    ['malformed JSON', '{"type": "join-room", ', 'bad-message'],
    ['JSON that is not an object', '[1,2,3]', 'bad-message'],
    ['a message without a type', '{"name":"x"}', 'bad-message'],
    ['an unknown message type', '{"type":"become-host"}', 'unknown-type'],
    ['a missing field', '{"type":"join-room","name":"x"}', 'bad-message'],
    ['a field of the wrong type', '{"type":"chat","text":42}', 'bad-message'],
    [
      'an oversized field',
      JSON.stringify({ type: 'chat', text: 'x'.repeat(LIMITS.chatMaxLength * 5) }),
      'bad-message',
    ],
    [
      'a frame over the size limit',
      JSON.stringify({ type: 'chat', text: 'x'.repeat(LIMITS.maxMessageBytes) }),
      'message-too-large',
    ],
  ])('%s -> %s', async (_what, frame, code) => {
    const c = await connect();
    c.sendRaw(frame);
    expect((await c.next('error')).code).toBe(code);
    // The connection still works afterwards.
    c.send({ type: 'ping', t: 1 });
    expect((await c.next('pong')).t).toBe(1);
  });

  it('echoes the requestId of a bad request so the client knows which one failed', async () => {
    const c = await connect();
    c.sendRaw('{"type":"join-room","requestId":"r-7","code":5,"name":"x"}');
    expect(await c.next('error')).toMatchObject({ code: 'bad-message', requestId: 'r-7' });
  });

  it('answers binary frames with bad-message', async () => {
    const c = await connect();
    c.sendRaw(randomBytes(64), true);
    expect((await c.next('error')).code).toBe('bad-message');
  });

  it('closes a connection that sends an absurdly large frame, and others are unaffected', async () => {
    const { host } = await hostRoom(url);
    clients.push(host);
    const c = await connect();
    c.sendRaw('x'.repeat(1024 * 1024));
    await expect(c.next('pong', 3000)).rejects.toThrow(/closed \(1009\)/);
    host.send({ type: 'ping', t: 2 });
    expect((await host.next('pong')).t).toBe(2);
  });

  it('refuses names that are empty or too long', async () => {
    const c = await connect();
    c.send({ type: 'create-room', name: '   \u200b ' });
    expect((await c.next('error')).code).toBe('name-invalid');
    c.send({ type: 'create-room', name: 'n'.repeat(LIMITS.nameMaxLength + 1) });
    expect((await c.next('error')).code).toBe('name-invalid');
  });

  it('refuses room actions from a connection that is in no room', async () => {
    const c = await connect();
    for (const m of [
      { type: 'chat', text: 'hi' },
      { type: 'leave-room' },
      { type: 'kick', peerId: 'p1' },
      { type: 'close-room' },
      { type: 'signal', to: 'p1', payload: { kind: 'candidate', candidate: null } },
    ] as const) {
      c.send(m);
      expect((await c.next('error')).code).toBe('not-in-room');
    }
  });

  it('rate-limits a flood per connection and keeps serving others', async () => {
    const { host } = await hostRoom(url);
    clients.push(host);
    const flooder = await connect();
    const start = Date.now();
    for (let i = 0; i < 200; i++) flooder.send({ type: 'ping', t: i });
    expect((await flooder.next('error')).code).toBe('rate-limited');
    await flooder.settle();
    // A burst of 60 is answered (a full ICE gathering), then 30 a second: none of the rest.
    const pongs = flooder.received.filter((m) => m.type === 'pong').length;
    expect(pongs).toBeGreaterThanOrEqual(60);
    expect(pongs).toBeLessThanOrEqual(60 + Math.ceil((30 * (Date.now() - start)) / 1000));
    host.send({ type: 'ping', t: -1 });
    expect((await host.next('pong')).t).toBe(-1);
  });

  it('cuts off a connection that keeps flooding after being told', async () => {
    const flooder = await connect();
    for (let i = 0; i < 1000; i++) flooder.send({ type: 'ping', t: i });
    await expect(flooder.next('welcome', 5000)).rejects.toThrow(/closed \(1008\)/);
  });
});

describe('room codes cannot be brute-forced', () => {
  it('slows down an address after a burst of wrong codes, even when the right code follows', async () => {
    const { host, code } = await hostRoom(url);
    clients.push(host);
    const guesser = await connect({ 'X-Forwarded-For': '203.0.113.9' });
    for (let i = 0; i < 5; i++) {
      guesser.send({ type: 'join-room', code: 'ZZZZZ0', name: `g${i}` });
      expect((await guesser.next('error')).code).toBe('room-not-found');
    }
    guesser.send({ type: 'join-room', code, name: 'lucky' });
    const refused = await guesser.next('error');
    expect(refused.code).toBe('too-many-attempts');
    expect(refused.retryAfterMs).toBeGreaterThan(10_000);

    // A reconnect from the same address does not reset it; a different address is unaffected.
    const again = await connect({ 'X-Forwarded-For': '203.0.113.9' });
    again.send({ type: 'join-room', code, name: 'lucky' });
    expect((await again.next('error')).code).toBe('too-many-attempts');
    const friend = await connect({ 'X-Forwarded-For': '198.51.100.4' });
    await friend.request({ type: 'join-room', code, name: 'Friend' }, 'joined');
  });

  it('counts forged resume tokens as wrong guesses too', async () => {
    const { host, joined, code } = await hostRoom(url);
    clients.push(host);
    const thief = await connect({ 'X-Forwarded-For': '203.0.113.77' });
    for (let i = 0; i < 5; i++) {
      thief.send({ type: 'resume', code, peerId: joined.self.peerId, token: `forged-${i}` });
      expect((await thief.next('error')).code).toBe('invalid-token');
    }
    thief.send({ type: 'resume', code, peerId: joined.self.peerId, token: joined.self.token });
    expect((await thief.next('error')).code).toBe('too-many-attempts');
  });
});

describe('fuzzing', () => {
  it('survives thousands of random frames, after which a normal join still works', async () => {
    const { host, code } = await hostRoom(url);
    clients.push(host);
    let sent = 0;
    // Several connections so the per-connection flood limit does not swallow the frames.
    for (let batch = 0; batch < 20; batch++) {
      const fuzzer = await connect({ 'X-Forwarded-For': `192.0.2.${batch}` });
      for (const frame of fuzzFrames(200, 12345 + batch)) {
        fuzzer.sendRaw(frame);
        sent++;
        if (sent % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await fuzzer.settle(50);
      expect(fuzzer.invalid).toEqual([]); // everything the server said was a valid protocol message
      await fuzzer.close();
    }
    expect(sent).toBe(4000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const { client, joined } = await joinRoom(url, code, 'After Fuzz');
    clients.push(client);
    expect(joined.members.map((m) => m.name)).toContain('After Fuzz');
    const health = (await (await fetch(`${url}/healthz`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
  });
});
