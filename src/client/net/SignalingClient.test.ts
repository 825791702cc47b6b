import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CLOSE_CODES, type ServerMessage } from '../../protocol/index.js';
import { ANA, FakeNetwork, HOST, joined } from '../testing/fakes.js';
import { RequestError } from './RequestError.js';
import { type ConnectionStatus, SignalingClient, signalingUrl } from './SignalingClient.js';

let net: FakeNetwork;
let client: SignalingClient;

function start(options: Partial<ConstructorParameters<typeof SignalingClient>[0]> = {}) {
  client = new SignalingClient({
    url: 'ws://jam.test/ws',
    socket: net.factory,
    random: () => 0.5,
    ...options,
  });
  return client;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  net = new FakeNetwork();
});

afterEach(() => {
  client?.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('signalingUrl', () => {
  it('uses wss on an https page and ws on an http page, on the same host', () => {
    expect(signalingUrl({ protocol: 'https:', host: 'jam.example:8443' })).toBe('wss://jam.example:8443/ws');
    expect(signalingUrl({ protocol: 'http:', host: '192.168.1.20:8080' })).toBe('ws://192.168.1.20:8080/ws');
  });
});

describe('SignalingClient', () => {
  it('connects at once and reports "connecting" then "open"', () => {
    const statuses: ConnectionStatus[] = [];
    start().on('status', (s) => statuses.push(s));
    expect(client.status).toBe('connecting');
    expect(net.last.url).toBe('ws://jam.test/ws');
    net.last.accept();
    expect(statuses).toEqual(['open']);
  });

  it('emits every valid server message and drops invalid frames with a warning', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const heard: ServerMessage[] = [];
    start().on('message', (m) => heard.push(m));
    net.last.accept();
    net.last.deliverRaw('not json');
    net.last.deliverRaw(JSON.stringify({ type: 'member-joined', member: { peerId: 'x' } }));
    net.last.deliver({ type: 'member-left', peerId: 'pAna', reason: 'left' });
    expect(heard.map((m) => m.type)).toEqual(['welcome', 'member-left']);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('keeps working when a message listener throws', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const heard: string[] = [];
    start().on('message', () => {
      throw new Error('broken listener');
    });
    client.on('message', (m) => heard.push(m.type));
    net.last.accept();
    net.last.deliver({ type: 'member-left', peerId: 'pAna', reason: 'left' });
    expect(heard).toEqual(['welcome', 'member-left']);
  });

  it('resolves a request with the "joined" that carries its requestId', async () => {
    start();
    net.last.accept();
    const answer = client.createRoom('Hana');
    const sent = net.last.lastOf('create-room');
    expect(sent.name).toBe('Hana');
    expect(sent.requestId).toMatch(/^r\d+$/);
    net.last.deliver(joined(ANA, [HOST, ANA], { requestId: 'someone-else' }));
    net.last.deliver(joined(HOST, [HOST], { requestId: sent.requestId }));
    await expect(answer).resolves.toMatchObject({ type: 'joined', self: { peerId: HOST.peerId } });
  });

  it('resolves leaveRoom with the matching "left"', async () => {
    start();
    net.last.accept();
    const answer = client.leaveRoom();
    net.last.deliver({ type: 'left', requestId: net.last.lastOf('leave-room').requestId });
    await expect(answer).resolves.toMatchObject({ type: 'left' });
  });

  it('rejects a request with a RequestError carrying the server error code and wait', async () => {
    start();
    net.last.accept();
    const answer = client.joinRoom('ZZZZZZ', 'Ana');
    const { requestId } = net.last.lastOf('join-room');
    net.last.deliver({
      type: 'error',
      code: 'too-many-attempts',
      message: 'slow down',
      requestId,
      retryAfterMs: 12_000,
    });
    const error = await answer.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({ code: 'too-many-attempts', retryAfterMs: 12_000 });
  });

  it('rejects a request that gets no answer in time with code "timeout"', async () => {
    start({ requestTimeoutMs: 3000 });
    net.last.accept();
    const answer = client.joinRoom('K7Q4MZ', 'Ana');
    const caught = answer.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await caught).toMatchObject({ code: 'timeout' });
  });

  it('holds a request made before the socket is open and sends it on open', async () => {
    start();
    const answer = client.createRoom('Hana');
    expect(net.last.sent).toEqual([]);
    net.last.accept();
    const { requestId } = net.last.lastOf('create-room');
    net.last.deliver(joined(HOST, [HOST], { requestId }));
    await expect(answer).resolves.toMatchObject({ type: 'joined' });
  });

  it('fails requests in flight with "disconnected" when the connection drops', async () => {
    start();
    net.last.accept();
    const answer = client.resume({ code: 'K7Q4MZ', peerId: 'pAna', token: 't' });
    net.last.drop();
    await expect(answer).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('reconnects after a drop, waiting 250 ms then doubling, and says so', async () => {
    const opens: boolean[] = [];
    start().on('open', (e) => opens.push(e.reconnected));
    net.last.handlers.open();
    net.last.drop();
    expect(client.status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(249);
    expect(net.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.sockets).toHaveLength(2);
    // This one never opens: the next wait is twice as long.
    net.last.drop();
    await vi.advanceTimersByTimeAsync(499);
    expect(net.sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.sockets).toHaveLength(3);
    net.last.accept();
    expect(client.status).toBe('open');
    expect(opens).toEqual([false, true]);
  });

  it('does not reconnect after the server closed an idle socket, and connects again for the next request', async () => {
    start();
    net.last.accept();
    net.last.drop(CLOSE_CODES.idle, 'joined no room');
    expect(client.status).toBe('idle');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(net.sockets).toHaveLength(1);
    client.reconnectNow(); // the browser says it is online: still nothing needs the server
    expect(net.sockets).toHaveLength(1);
    const answer = client.createRoom('Hana');
    expect(client.status).toBe('connecting');
    expect(net.sockets).toHaveLength(2);
    net.last.accept();
    const sent = net.last.lastOf('create-room');
    net.last.deliver(joined(HOST, [HOST], { requestId: sent.requestId }));
    expect((await answer).self.role).toBe('host');
  });

  it('stops for good when the server says to open the page over https, and keeps its words', async () => {
    start();
    net.last.accept();
    net.last.drop(CLOSE_CODES.useHttps, 'open https://192.168.1.20:8443 instead');
    expect([client.status, client.refusal]).toEqual(['refused', 'open https://192.168.1.20:8443 instead']);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(net.sockets).toHaveLength(1);
    await expect(client.joinRoom('K7Q4MZ', 'Ana')).rejects.toBeInstanceOf(RequestError);
    expect(net.sockets).toHaveLength(1);
  });

  it('starts the backoff over once a connection got as far as "welcome"', async () => {
    start();
    net.last.drop();
    await vi.advanceTimersByTimeAsync(250);
    net.last.drop();
    await vi.advanceTimersByTimeAsync(500);
    net.last.accept();
    net.last.drop();
    await vi.advanceTimersByTimeAsync(250);
    expect(net.sockets).toHaveLength(4);
  });

  it('pings when the socket opens and every 5 s after', async () => {
    start();
    net.last.accept();
    expect(net.last.sentOf('ping')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5000);
    net.last.deliver({ type: 'pong', t: Date.now(), serverTime: Date.now() });
    await vi.advanceTimersByTimeAsync(5000);
    expect(net.last.sentOf('ping')).toHaveLength(3);
  });

  it('treats a ping unanswered for 8 s as a dead connection: closes it and reconnects', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    start();
    const first = net.last;
    first.accept();
    await vi.advanceTimersByTimeAsync(7999);
    expect(client.status).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(first.closedWith).toBe(4000);
    expect(client.status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(250);
    expect(net.sockets).toHaveLength(2);
  });

  it('stays connected while pongs come back', async () => {
    start();
    const socket = net.last;
    socket.accept();
    for (let i = 0; i < 6; i++) {
      socket.deliver({ type: 'pong', t: socket.lastOf('ping').t, serverTime: Date.now() });
      await vi.advanceTimersByTimeAsync(5000);
    }
    expect(client.status).toBe('open');
    expect(net.sockets).toHaveLength(1);
  });

  it('estimates the server clock from a pong: serverTime minus the midpoint of the round trip', async () => {
    start();
    // Connecting took 100 ms: the welcome's sample is coarser than the ping's below.
    await vi.advanceTimersByTimeAsync(100);
    net.last.accept(Date.now() + 60_000);
    const ping = net.last.lastOf('ping');
    await vi.advanceTimersByTimeAsync(40);
    // The server is 30 s ahead; it answered halfway through the 40 ms round trip.
    net.last.deliver({ type: 'pong', t: ping.t, serverTime: ping.t + 20 + 30_000 });
    expect(client.clock.offset).toBe(30_000);
    expect(client.serverNow()).toBe(Date.now() + 30_000);
  });

  it('also takes a clock sample from the "joined" answering a request', async () => {
    start();
    net.last.handlers.open();
    const answer = client.createRoom('Hana');
    const { requestId } = net.last.lastOf('create-room');
    await vi.advanceTimersByTimeAsync(10);
    net.last.deliver(joined(HOST, [HOST], { requestId, serverTime: Date.now() - 5 + 7000 }));
    await answer;
    expect(client.clock.offset).toBe(7000);
  });

  it('sends fire-and-forget messages only while open', () => {
    start();
    expect(client.send({ type: 'chat', text: 'hi' })).toBe(false);
    net.last.accept();
    expect(client.send({ type: 'chat', text: 'hi' })).toBe(true);
    expect(net.last.lastOf('chat').text).toBe('hi');
  });

  it('reconnectNow skips the rest of the wait', () => {
    start();
    net.last.drop();
    client.reconnectNow();
    expect(net.sockets).toHaveLength(2);
  });

  it('close() stops everything, fails pending requests with "closed", and is safe to call twice', async () => {
    const statuses: ConnectionStatus[] = [];
    start().on('status', (s) => statuses.push(s));
    net.last.accept();
    const answer = client.createRoom('Hana');
    const socket = net.last;
    client.close();
    client.close();
    await expect(answer).rejects.toMatchObject({ code: 'closed' });
    expect(socket.closedWith).toBe(1000);
    expect(statuses).toEqual(['open', 'closed']);
    socket.drop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(net.sockets).toHaveLength(1);
    await expect(client.joinRoom('K7Q4MZ', 'x')).rejects.toMatchObject({ code: 'closed' });
  });
});
