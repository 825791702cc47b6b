import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeError } from '../../protocol/index.js';
import { SignalingClient } from '../net/SignalingClient.js';
import {
  ANA,
  BEN,
  CODE,
  chatLine,
  FakeNetwork,
  type FakeSocket,
  HOST,
  joined,
  MemoryStore,
} from '../testing/fakes.js';
import { JamClient } from './JamClient.js';
import { PlaceStore } from './PlaceStore.js';

const STORED = { code: CODE, peerId: ANA.peerId, token: `token-${ANA.peerId}`, name: 'Ana' };

let net: FakeNetwork;
let session: MemoryStore;
let local: MemoryStore;
let path: string;
let jam: JamClient;

function start(initialPath = '/'): JamClient {
  path = initialPath;
  const signaling = new SignalingClient({ url: 'ws://jam.test/ws', socket: net.factory, random: () => 0.5 });
  jam = new JamClient({
    signaling,
    store: new PlaceStore(session, local),
    initialPath,
    origin: 'http://jam.test',
    navigate: (p) => {
      path = p;
    },
  });
  return jam;
}

function storedPlace(): unknown {
  const raw = session.getItem('jamsesh.place');
  return raw === null ? null : JSON.parse(raw);
}

/** Lets promise callbacks (request answers) run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

/** Answers the last request of `type` on `socket` with `joined(self, members)`. */
function answerJoined(
  socket: FakeSocket,
  type: 'create-room' | 'join-room' | 'resume',
  self = ANA,
  members = [HOST, self],
) {
  socket.deliver(
    joined(self, members, { requestId: socket.lastOf(type).requestId, resumed: type === 'resume' }),
  );
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_010_000 });
  net = new FakeNetwork();
  session = new MemoryStore();
  local = new MemoryStore();
});

afterEach(() => {
  jam?.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('JamClient: hosting and joining', () => {
  it('hosting a jam stores the place for this tab, remembers the name, and puts the join link in the address bar', async () => {
    start();
    net.last.accept();
    const hosting = jam.host('  Hana ');
    expect(jam.state.pending).toBe('create');
    expect(net.last.lastOf('create-room').name).toBe('Hana');
    answerJoined(net.last, 'create-room', HOST, [HOST]);
    await hosting;
    expect(jam.state.room?.self.role).toBe('host');
    expect(jam.state.pending).toBeNull();
    expect(jam.state.live).toBe(true);
    expect(storedPlace()).toEqual({
      code: CODE,
      peerId: HOST.peerId,
      token: `token-${HOST.peerId}`,
      name: 'Hana',
    });
    expect(local.getItem('jamsesh.name')).toBe('Hana');
    expect(path).toBe(`/join/${CODE}`);
    expect(jam.joinLink(CODE)).toBe(`http://jam.test/join/${CODE}`);
  });

  it('joining sends the normalised code', async () => {
    start();
    net.last.accept();
    const joining = jam.join('k7q-4mz', 'Ana');
    expect(net.last.lastOf('join-room').code).toBe(CODE);
    expect(jam.state.landingCode).toBe('K7Q 4MZ');
    answerJoined(net.last, 'join-room');
    await joining;
    expect(jam.state.room?.members.map((m) => m.name)).toEqual(['Hana', 'Ana']);
  });

  it('refuses an empty name or a malformed code without asking the server', async () => {
    start();
    net.last.accept();
    await jam.host('   ');
    expect(jam.state.error).toBe(describeError('name-invalid'));
    await jam.join('K7Q', 'Ana');
    expect(jam.state.error).toMatch(/doesn't look right/);
    expect(net.last.sentOf('create-room')).toHaveLength(0);
    expect(net.last.sentOf('join-room')).toHaveLength(0);
  });

  it('turns a refused join into plain words and allows another try', async () => {
    start();
    net.last.accept();
    const joining = jam.join('ZZZZZZ', 'Ana');
    const { requestId } = net.last.lastOf('join-room');
    net.last.deliver({ type: 'error', code: 'room-not-found', message: 'no open room', requestId });
    await joining;
    expect(jam.state.error).toBe(describeError('room-not-found'));
    expect(jam.state.pending).toBeNull();
    expect(jam.state.room).toBeNull();
  });

  it('tells how long to wait after too many wrong codes', async () => {
    start();
    net.last.accept();
    const joining = jam.join('ZZZZZZ', 'Ana');
    const { requestId } = net.last.lastOf('join-room');
    net.last.deliver({
      type: 'error',
      code: 'too-many-attempts',
      message: '',
      requestId,
      retryAfterMs: 9500,
    });
    await joining;
    expect(jam.state.error).toMatch(/Try again in 10 seconds\.$/);
  });

  it('starts with the code of a /join/CODE link filled in', () => {
    start('/join/k7q4mz');
    expect(jam.state.landingCode).toBe('K7Q 4MZ');
    expect(jam.state.restoring).toBe(false);
  });
});

describe('JamClient: keeping the place', () => {
  it('after a reload, sends resume with the stored place as soon as the socket opens', async () => {
    session.setItem('jamsesh.place', JSON.stringify(STORED));
    start(`/join/${CODE}`);
    expect(jam.state.restoring).toBe(true);
    expect(jam.state.name).toBe('Ana');
    net.last.accept();
    expect(net.last.lastOf('resume')).toMatchObject({ code: CODE, peerId: ANA.peerId, token: STORED.token });
    answerJoined(net.last, 'resume');
    await settle();
    expect(jam.state.restoring).toBe(false);
    expect(jam.state.room?.self.peerId).toBe(ANA.peerId);
  });

  it('resumes again on every reconnect while in a jam, and is live again once answered', async () => {
    start();
    net.last.accept();
    const joining = jam.join(CODE, 'Ana');
    answerJoined(net.last, 'join-room');
    await joining;
    for (let i = 0; i < 2; i++) {
      net.last.drop();
      expect(jam.state.live).toBe(false);
      expect(jam.state.connection).toBe('reconnecting');
      await vi.advanceTimersByTimeAsync(250);
      net.last.accept();
      expect(net.last.lastOf('resume').peerId).toBe(ANA.peerId);
      answerJoined(net.last, 'resume');
      await settle();
      expect(jam.state.live).toBe(true);
    }
    expect(net.sockets).toHaveLength(3);
  });

  it('does not resume on reconnect when not in a jam', async () => {
    start();
    net.last.accept();
    net.last.drop();
    await vi.advanceTimersByTimeAsync(250);
    net.last.accept();
    expect(net.last.sentOf('resume')).toHaveLength(0);
  });

  it('when the jam is gone after a reload, forgets the place and says the jam has ended', async () => {
    session.setItem('jamsesh.place', JSON.stringify(STORED));
    start(`/join/${CODE}`);
    net.last.accept();
    const { requestId } = net.last.lastOf('resume');
    net.last.deliver({ type: 'error', code: 'room-not-found', message: '', requestId });
    await settle();
    expect(storedPlace()).toBeNull();
    expect(jam.state.restoring).toBe(false);
    expect(jam.state.ended?.reason).toBe('gone');
  });

  it('when our place expired, forgets it and offers the code again on the way back', async () => {
    session.setItem('jamsesh.place', JSON.stringify(STORED));
    start(`/join/${CODE}`);
    net.last.accept();
    const { requestId } = net.last.lastOf('resume');
    net.last.deliver({ type: 'error', code: 'invalid-token', message: '', requestId });
    await settle();
    expect(jam.state.ended?.reason).toBe('expired');
    expect(storedPlace()).toBeNull();
    jam.backToStart();
    expect(jam.state.ended).toBeNull();
    expect(jam.state.landingCode).toBe('K7Q 4MZ');
    expect(path).toBe(`/join/${CODE}`);
  });

  it('retries a resume the server could not answer in time', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    session.setItem('jamsesh.place', JSON.stringify(STORED));
    start(`/join/${CODE}`);
    net.last.handlers.open();
    const socket = net.last;
    // Keep the socket alive (pongs) while the resume goes unanswered.
    const keepAlive = setInterval(
      () => socket.deliver({ type: 'pong', t: Date.now(), serverTime: Date.now() }),
      1000,
    );
    await vi.advanceTimersByTimeAsync(10_000 + 1000);
    clearInterval(keepAlive);
    expect(socket.sentOf('resume')).toHaveLength(2);
  });

  it('a link to another jam wins over the place stored for this tab', () => {
    session.setItem('jamsesh.place', JSON.stringify(STORED));
    start('/join/ZZZZZZ');
    expect(jam.state.restoring).toBe(false);
    expect(jam.state.landingCode).toBe('ZZZ ZZZ');
    expect(storedPlace()).toBeNull();
  });

  it('leaving tells the server, forgets the place and goes back to the start page', async () => {
    start();
    net.last.accept();
    const joining = jam.join(CODE, 'Ana');
    answerJoined(net.last, 'join-room');
    await joining;
    jam.leave();
    expect(net.last.sentOf('leave-room')).toHaveLength(1);
    expect(storedPlace()).toBeNull();
    expect(jam.state.room).toBeNull();
    expect(path).toBe('/');
    // A late answer to an earlier resume must not pull us back in.
    net.last.deliver(joined(ANA));
    expect(jam.state.room).toBeNull();
  });

  it('cancelling a rejoin after a reload gives up the place', () => {
    session.setItem('jamsesh.place', JSON.stringify(STORED));
    start(`/join/${CODE}`);
    jam.leave();
    expect(jam.state.restoring).toBe(false);
    expect(storedPlace()).toBeNull();
    net.last.accept();
    expect(net.last.sentOf('resume')).toHaveLength(0);
  });
});

describe('JamClient: the jam ending', () => {
  async function inJamAs(self = ANA, members = [HOST, self]) {
    start();
    net.last.accept();
    const entering = self.role === 'host' ? jam.host(self.name) : jam.join(CODE, self.name);
    answerJoined(net.last, self.role === 'host' ? 'create-room' : 'join-room', self, members);
    await entering;
  }

  it('being removed by the host forgets the place and says so', async () => {
    await inJamAs();
    net.last.deliver({ type: 'room-closed', code: CODE, reason: 'kicked' });
    expect(jam.state.ended).toEqual({ reason: 'kicked', wasHost: false, code: CODE });
    expect(jam.state.room?.ended).toBe('kicked');
    expect(storedPlace()).toBeNull();
  });

  it('does not resume after the jam closed, even when the connection comes back', async () => {
    await inJamAs();
    net.last.deliver({ type: 'room-closed', code: CODE, reason: 'replaced' });
    net.last.drop();
    await vi.advanceTimersByTimeAsync(250);
    net.last.accept();
    expect(net.last.sentOf('resume')).toHaveLength(0);
  });

  it('the host ends the jam with close-room and sees that it ended', async () => {
    await inJamAs(HOST, [HOST]);
    jam.endJam();
    expect(net.last.sentOf('close-room')).toHaveLength(1);
    net.last.deliver({ type: 'room-closed', code: CODE, reason: 'host-closed' });
    expect(jam.state.ended).toEqual({ reason: 'host-closed', wasHost: true, code: CODE });
    jam.backToStart();
    expect(jam.state.room).toBeNull();
    expect(path).toBe('/');
  });

  it('the host kicks by peer id, and the member leaves the list', async () => {
    await inJamAs(HOST, [HOST, ANA, BEN]);
    jam.kick(BEN.peerId);
    expect(net.last.lastOf('kick').peerId).toBe(BEN.peerId);
    net.last.deliver({ type: 'member-left', peerId: BEN.peerId, reason: 'kicked' });
    expect(jam.state.room?.members.map((m) => m.name)).toEqual(['Hana', 'Ana']);
  });

  it('only the host can kick: a listener asking to sends nothing', async () => {
    await inJamAs(ANA, [HOST, ANA, BEN]);
    jam.kick(BEN.peerId);
    expect(net.last.sentOf('kick')).toHaveLength(0);
  });
});

describe('JamClient: chat', () => {
  async function inJam() {
    start();
    net.last.accept();
    const joining = jam.join(CODE, 'Ana');
    answerJoined(net.last, 'join-room');
    await joining;
  }

  it('sends trimmed chat lines and shows lines as the server relays them', async () => {
    await inJam();
    expect(jam.sendChat('  hello  ')).toBe(true);
    expect(net.last.lastOf('chat').text).toBe('hello');
    net.last.deliver(chatLine(1, ANA, 'hello'));
    expect(jam.state.room?.chat.map((c) => c.text)).toEqual(['hello']);
  });

  it('keeps the fresh ICE servers the server sends while in a jam (new TURN credentials)', async () => {
    await inJam();
    const fresh = [{ urls: ['turn:t.example.org'], username: '1700003600:pA', credential: 'c' }];
    net.last.deliver({ type: 'ice-servers', iceServers: fresh });
    expect(jam.state.room?.iceServers).toEqual(fresh);
  });

  it('does not send an empty line', async () => {
    await inJam();
    expect(jam.sendChat('   ')).toBe(false);
    expect(net.last.sentOf('chat')).toHaveLength(0);
  });

  it('keeps the line (returns false) and says so while offline', async () => {
    await inJam();
    net.last.drop();
    expect(jam.sendChat('hello')).toBe(false);
    expect(jam.state.error).toMatch(/offline/);
  });

  it('offers a line the server refused back, with the reason in plain words', async () => {
    await inJam();
    jam.sendChat('too fast');
    const { requestId } = net.last.lastOf('chat');
    net.last.deliver({ type: 'error', code: 'rate-limited', message: '', requestId, retryAfterMs: 2000 });
    expect(jam.state.error).toBe(`${describeError('rate-limited')} Try again in 2 seconds.`);
    expect(jam.state.rejectedChat?.text).toBe('too fast');
  });

  it('forgets a refused line when leaving, so another jam does not get it back', async () => {
    await inJam();
    jam.sendChat('too fast');
    const { requestId } = net.last.lastOf('chat');
    net.last.deliver({ type: 'error', code: 'rate-limited', message: '', requestId });
    jam.leave();
    expect(jam.state.rejectedChat).toBeNull();
  });
});
