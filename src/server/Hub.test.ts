import { describe, expect, it } from 'vitest';
import {
  type ClientMessage,
  type ErrorCode,
  encodeMessage,
  normalizeRoomCode,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ServerMessage,
  type ServerMessageOf,
  type ServerMessageType,
  type SignalPayload,
} from '../protocol/index.js';
import { type Clock, Hub, type HubOptions, type Session } from './Hub.js';
import { createLogger } from './logger.js';

const T0 = 1_700_000_000_000;

const OPTIONS: HubOptions = {
  maxRooms: 10,
  maxMembers: 4,
  hostGraceMs: 60_000,
  listenerGraceMs: 30_000,
  joinBurst: 3,
  joinLeakMs: 10_000,
  stunUrls: [],
  turnUrls: [],
  turnSecret: undefined,
  turnTtlSeconds: 3600,
};

/** A clock whose time moves only when the test says so; timers fire in order as it passes them. */
class FakeClock implements Clock {
  #now = T0;
  #nextId = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing every timer due on the way at its own time. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= end && (due === undefined || entry[1].at < due[1].at)) due = entry;
      }
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].fn();
    }
    this.#now = end;
  }
}

/**
 * A connection that records what it is sent. Every message goes through the real codec on the
 * way, so a message the Hub sends that breaks the protocol fails the test.
 */
class FakeSession implements Session {
  place?: Session['place'];
  #inbox: ServerMessage[] = [];

  constructor(
    readonly id: number,
    readonly address: string,
  ) {}

  send(message: ServerMessage): void {
    const wire = parseServerMessage(encodeMessage(message));
    if (!wire.ok) throw new Error(`the hub sent a ${message.type} that breaks the protocol: ${wire.message}`);
    this.#inbox.push(wire.message);
  }

  /** Everything received since the last take. */
  take(): ServerMessage[] {
    const messages = this.#inbox;
    this.#inbox = [];
    return messages;
  }

  /** The single message received since the last take, which must be of `type`. */
  takeOne<T extends ServerMessageType>(type: T): ServerMessageOf<T> {
    const messages = this.take();
    expect(messages.map((m) => m.type)).toEqual([type]);
    return messages[0] as ServerMessageOf<T>;
  }

  /** The single message received since the last take, which must be an error with `code`. */
  takeError(code: ErrorCode): ServerMessageOf<'error'> {
    const error = this.takeOne('error');
    expect(error.code).toBe(code);
    return error;
  }
}

interface Place {
  session: FakeSession;
  peerId: string;
  token: string;
  joined: ServerMessageOf<'joined'>;
}

/** A Hub on a fake clock, with helpers to open connections and walk them into rooms. */
class World {
  readonly clock = new FakeClock();
  readonly hub: Hub;
  readonly #sessions: FakeSession[] = [];
  #nextId = 1;

  constructor(options: Partial<HubOptions> = {}) {
    this.hub = new Hub({ ...OPTIONS, ...options }, this.clock, createLogger('silent'));
  }

  /** A new connection, its welcome already read. */
  connect(address = '192.0.2.1'): FakeSession {
    const session = new FakeSession(this.#nextId++, address);
    this.#sessions.push(session);
    this.hub.connect(session);
    session.take();
    return session;
  }

  send(session: FakeSession, message: ClientMessage): void {
    this.hub.handle(session, message);
  }

  /** The connection is gone. */
  drop(session: FakeSession): void {
    this.hub.disconnect(session);
  }

  /** A host on a new connection with a new room; the host's inbox is left empty. */
  createRoom(name = 'Sam', address = '192.0.2.10'): Place & { code: string } {
    const session = this.connect(address);
    this.send(session, { type: 'create-room', name });
    const joined = session.takeOne('joined');
    return { session, peerId: joined.self.peerId, token: joined.self.token, joined, code: joined.room.code };
  }

  /** A listener on a new connection, in the room; the listener's inbox is left empty, others' are not. */
  join(code: string, name: string, address = '192.0.2.20'): Place {
    const session = this.connect(address);
    this.send(session, { type: 'join-room', code, name });
    const joined = session.takeOne('joined');
    return { session, peerId: joined.self.peerId, token: joined.self.token, joined };
  }

  /** Empties every inbox, so that what follows is all the test looks at. */
  settle(): void {
    for (const s of this.#sessions) s.take();
  }
}

/** A room with a host and two listeners, all inboxes empty. */
function roomOfThree(world: World) {
  const host = world.createRoom('Sam');
  const pam = world.join(host.code, 'Pam', '192.0.2.21');
  const kim = world.join(host.code, 'Kim', '192.0.2.22');
  world.settle();
  return { code: host.code, host, pam, kim };
}

/** A valid room code that is not `code`. */
function otherCode(code: string): string {
  return code === '000000' ? '111111' : '000000';
}

const offer: SignalPayload = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } };
const candidate: SignalPayload = {
  kind: 'candidate',
  candidate: { candidate: 'candidate:1 1 udp 2122260223 192.168.1.20 54400 typ host', sdpMid: '0' },
};

describe('Hub', () => {
  describe('a new connection', () => {
    it('is welcomed with the protocol version and the server time', () => {
      const world = new World();
      const session = new FakeSession(1, '192.0.2.1');
      world.hub.connect(session);
      expect(session.take()).toEqual([{ type: 'welcome', protocol: PROTOCOL_VERSION, serverTime: T0 }]);
    });

    it("is told the server's https PUBLIC_URL, for a page opened over plain http, and no other", () => {
      const secure = new World({ publicUrl: 'https://jam.example.org' });
      const session = new FakeSession(1, '192.0.2.1');
      secure.hub.connect(session);
      expect(session.take()).toEqual([
        { type: 'welcome', protocol: PROTOCOL_VERSION, serverTime: T0, secureUrl: 'https://jam.example.org' },
      ]);
      const plain = new World({ publicUrl: 'http://jam.example.org' });
      const other = new FakeSession(2, '192.0.2.1');
      plain.hub.connect(other);
      expect(other.take()).toEqual([{ type: 'welcome', protocol: PROTOCOL_VERSION, serverTime: T0 }]);
    });

    it('gets pong to ping, with its own time and the server time', () => {
      const world = new World();
      const session = world.connect();
      world.clock.advance(1234);
      world.send(session, { type: 'ping', t: 42.5 });
      expect(session.take()).toEqual([{ type: 'pong', t: 42.5, serverTime: T0 + 1234 }]);
    });

    it('that drops before joining a room leaves nothing behind', () => {
      const world = new World();
      const session = world.connect();
      world.drop(session);
      expect(world.clock.pendingTimers).toBe(0);
      expect(world.hub.roomCount).toBe(0);
    });
  });

  describe('creating a room', () => {
    it('makes the sender the host of a new room, with a token to resume by', () => {
      const world = new World();
      const session = world.connect();
      world.send(session, { type: 'create-room', requestId: 'c1', name: '  Sam ' });
      const joined = session.takeOne('joined');
      expect(joined.requestId).toBe('c1');
      expect(joined.self.role).toBe('host');
      expect(joined.self.token.length).toBeGreaterThan(0);
      expect(joined.resumed).toBe(false);
      expect(joined.room).toEqual({
        code: joined.room.code,
        hostId: joined.self.peerId,
        createdAt: T0,
        maxMembers: OPTIONS.maxMembers,
      });
      expect(joined.members).toEqual([
        { peerId: joined.self.peerId, name: 'Sam', role: 'host', presence: 'online', joinedAt: T0 },
      ]);
      expect(joined.chat).toEqual([]);
      expect(joined.iceServers).toEqual([]);
      expect(joined.serverTime).toBe(T0);
      expect(world.hub.roomCount).toBe(1);
    });

    it('gives the room a canonical code of the room-code alphabet', () => {
      const world = new World();
      const { code } = world.createRoom();
      expect(normalizeRoomCode(code)).toBe(code);
    });

    it('gives every room its own code', () => {
      const world = new World();
      const codes = new Set(Array.from({ length: 10 }, (_, i) => world.createRoom(`Host ${i}`).code));
      expect(codes.size).toBe(10);
    });

    it('hands the host the ICE servers, with a TURN credential minted for it alone', () => {
      const world = new World({
        stunUrls: ['stun:s.example.org'],
        turnUrls: ['turn:t.example.org'],
        turnSecret: 'coturn-static-auth-secret',
      });
      const { joined, peerId } = world.createRoom();
      expect(joined.iceServers).toHaveLength(2);
      expect(joined.iceServers[1]?.username).toBe(
        `${Math.floor(T0 / 1000) + OPTIONS.turnTtlSeconds}:${peerId}`,
      );
      expect(JSON.stringify(joined)).not.toContain('coturn-static-auth-secret');
    });

    it('answers name-invalid to a host without a usable name, and opens no room', () => {
      const world = new World();
      const session = world.connect();
      world.send(session, { type: 'create-room', requestId: 'c1', name: ' \u200b ' });
      expect(session.takeError('name-invalid').requestId).toBe('c1');
      expect(world.hub.roomCount).toBe(0);
    });

    it('answers already-in-room to a member who creates another room', () => {
      const world = new World();
      const { session } = world.createRoom();
      world.send(session, { type: 'create-room', requestId: 'c2', name: 'Sam' });
      expect(session.takeError('already-in-room').requestId).toBe('c2');
      expect(world.hub.roomCount).toBe(1);
    });

    it('answers server-full once maxRooms rooms are open', () => {
      const world = new World({ maxRooms: 2 });
      world.createRoom('A');
      world.createRoom('B');
      const session = world.connect();
      world.send(session, { type: 'create-room', requestId: 'c3', name: 'C' });
      expect(session.takeError('server-full').requestId).toBe('c3');
      expect(world.hub.roomCount).toBe(2);
    });

    it('has room for a new room again once one closes', () => {
      const world = new World({ maxRooms: 1 });
      const first = world.createRoom('A');
      world.send(first.session, { type: 'close-room' });
      const session = world.connect();
      world.send(session, { type: 'create-room', name: 'B' });
      expect(session.takeOne('joined').self.role).toBe('host');
    });
  });

  describe('joining by code', () => {
    it('gives the joiner the roster, and tells everyone else a member joined', () => {
      const world = new World();
      const host = world.createRoom('Sam');
      const pam = world.join(host.code, 'Pam');
      world.clock.advance(5000);
      world.settle();

      const kimSession = world.connect('192.0.2.30');
      world.send(kimSession, { type: 'join-room', requestId: 'j1', code: host.code, name: 'Kim' });
      const joined = kimSession.takeOne('joined');
      expect(joined.requestId).toBe('j1');
      expect(joined.self.role).toBe('listener');
      expect(joined.resumed).toBe(false);
      expect(joined.room.hostId).toBe(host.peerId);
      expect(joined.members.map((m) => [m.name, m.role])).toEqual([
        ['Sam', 'host'],
        ['Pam', 'listener'],
        ['Kim', 'listener'],
      ]);

      const kim = {
        peerId: joined.self.peerId,
        name: 'Kim',
        role: 'listener',
        presence: 'online',
        joinedAt: T0 + 5000,
      };
      expect(host.session.take()).toEqual([{ type: 'member-joined', member: kim }]);
      expect(pam.session.take()).toEqual([{ type: 'member-joined', member: kim }]);
    });

    it('finds the room however the code was typed: lower case, with a space or dash, O for 0, l for 1', () => {
      const world = new World();
      const { code } = world.createRoom();
      const sloppy = code.replace(/0/g, 'o').replace(/1/g, 'l').toLowerCase();
      expect(world.join(`${sloppy.slice(0, 3)} ${sloppy.slice(3)}`, 'Pam').joined.room.code).toBe(code);
      expect(world.join(`${code.slice(0, 3)}-${code.slice(3)}`, 'Kim').joined.room.code).toBe(code);
    });

    it('answers room-not-found to a code no room has, or one that cannot be a code', () => {
      const world = new World();
      const { code } = world.createRoom();
      const session = world.connect('192.0.2.40');
      world.send(session, { type: 'join-room', requestId: 'j2', code: otherCode(code), name: 'Pam' });
      expect(session.takeError('room-not-found').requestId).toBe('j2');
      world.send(session, { type: 'join-room', code: 'hello!', name: 'Pam' });
      session.takeError('room-not-found');
      expect(session.place).toBeUndefined();
    });

    it('answers name-taken to a name already in the room, compared without case or extra spaces', () => {
      const world = new World();
      const host = world.createRoom('Sam');
      const session = world.connect();
      world.send(session, { type: 'join-room', requestId: 'j3', code: host.code, name: '  sAM ' });
      expect(session.takeError('name-taken').requestId).toBe('j3');
      expect(host.session.take()).toEqual([]);
    });

    it('answers name-invalid to an empty name', () => {
      const world = new World();
      const host = world.createRoom('Sam');
      const session = world.connect();
      world.send(session, { type: 'join-room', code: host.code, name: '' });
      session.takeError('name-invalid');
    });

    it('answers room-full once the room has maxMembers, host included', () => {
      const world = new World({ maxMembers: 2 });
      const host = world.createRoom('Sam');
      world.join(host.code, 'Pam');
      world.settle();
      const session = world.connect();
      world.send(session, { type: 'join-room', requestId: 'j4', code: host.code, name: 'Kim' });
      expect(session.takeError('room-full').requestId).toBe('j4');
      expect(host.session.take()).toEqual([]);
    });

    it('answers already-in-room to a member who joins a room again', () => {
      const world = new World();
      const host = world.createRoom('Sam');
      const other = world.createRoom('Lou');
      const pam = world.join(host.code, 'Pam');
      world.settle();
      world.send(pam.session, { type: 'join-room', code: other.code, name: 'Pam' });
      pam.session.takeError('already-in-room');
      world.send(host.session, { type: 'join-room', code: other.code, name: 'Sam' });
      host.session.takeError('already-in-room');
    });

    it('gives the joiner the chat so far', () => {
      const world = new World();
      const host = world.createRoom('Sam');
      world.send(host.session, { type: 'chat', text: 'welcome all' });
      const pam = world.join(host.code, 'Pam');
      expect(pam.joined.chat.map((m) => [m.name, m.text])).toEqual([['Sam', 'welcome all']]);
    });
  });

  describe('guessing room codes', () => {
    function guessWrong(world: World, session: FakeSession, code: string, times: number): void {
      for (let i = 0; i < times; i++) {
        world.send(session, { type: 'join-room', code: otherCode(code), name: 'Eve' });
        session.takeError('room-not-found');
      }
    }

    it('after joinBurst wrong codes from one address, refuses the next attempt with too-many-attempts', () => {
      const world = new World();
      const { code } = world.createRoom();
      const eve = world.connect('198.51.100.7');
      guessWrong(world, eve, code, OPTIONS.joinBurst);
      // Even the right code is refused: the answer must not tell a guesser whether the code was right.
      world.send(eve, { type: 'join-room', requestId: 'g1', code, name: 'Eve' });
      const error = eve.takeError('too-many-attempts');
      expect(error.requestId).toBe('g1');
      expect(error.retryAfterMs).toBe(OPTIONS.joinLeakMs);
      expect(eve.place).toBeUndefined();
    });

    it('counts wrong codes per address, across connections', () => {
      const world = new World();
      const { code } = world.createRoom();
      guessWrong(world, world.connect('198.51.100.7'), code, OPTIONS.joinBurst);
      const again = world.connect('198.51.100.7');
      world.send(again, { type: 'join-room', code, name: 'Eve' });
      again.takeError('too-many-attempts');
    });

    it('does not slow down another address', () => {
      const world = new World();
      const { code } = world.createRoom();
      guessWrong(world, world.connect('198.51.100.7'), code, OPTIONS.joinBurst);
      const pam = world.connect('198.51.100.8');
      world.send(pam, { type: 'join-room', code, name: 'Pam' });
      pam.takeOne('joined');
    });

    it('lets the address try again once retryAfterMs has passed', () => {
      const world = new World();
      const { code } = world.createRoom();
      const eve = world.connect('198.51.100.7');
      guessWrong(world, eve, code, OPTIONS.joinBurst);
      world.send(eve, { type: 'join-room', code, name: 'Eve' });
      const { retryAfterMs } = eve.takeError('too-many-attempts');
      world.clock.advance((retryAfterMs ?? 0) - 1);
      world.send(eve, { type: 'join-room', code, name: 'Eve' });
      eve.takeError('too-many-attempts');
      world.clock.advance(1);
      world.send(eve, { type: 'join-room', code, name: 'Eve' });
      eve.takeOne('joined');
    });

    it('does not forget wrong codes because a join in between succeeded', () => {
      const world = new World();
      const own = world.createRoom('Eve', '198.51.100.7');
      const { code } = world.createRoom('Sam');
      const eve = world.connect('198.51.100.7');
      guessWrong(world, eve, code, OPTIONS.joinBurst - 1);
      world.send(eve, { type: 'join-room', code: own.code, name: 'Eve Two' });
      eve.takeOne('joined');
      world.send(eve, { type: 'leave-room' });
      eve.takeOne('left');
      guessWrong(world, eve, code, 1);
      world.send(eve, { type: 'join-room', code: own.code, name: 'Eve Two' });
      eve.takeError('too-many-attempts');
    });

    it('does not count a refused name or a full room as a wrong code', () => {
      const world = new World({ maxMembers: 2 });
      const { code } = world.createRoom('Sam');
      const pam = world.connect('198.51.100.7');
      for (let i = 0; i < OPTIONS.joinBurst + 2; i++) {
        world.send(pam, { type: 'join-room', code, name: 'Sam' });
        pam.takeError('name-taken');
      }
      world.send(pam, { type: 'join-room', code, name: 'Pam' });
      pam.takeOne('joined');
      const kim = world.connect('198.51.100.8');
      for (let i = 0; i < OPTIONS.joinBurst + 2; i++) {
        world.send(kim, { type: 'join-room', code, name: 'Kim' });
        kim.takeError('room-full');
      }
    });
  });

  describe('leaving', () => {
    it('a listener who leaves gets left, and the others hear member-left with reason left', () => {
      const world = new World();
      const { host, pam, kim } = roomOfThree(world);
      world.send(pam.session, { type: 'leave-room', requestId: 'l1' });
      expect(pam.session.take()).toEqual([{ type: 'left', requestId: 'l1' }]);
      expect(host.session.take()).toEqual([{ type: 'member-left', peerId: pam.peerId, reason: 'left' }]);
      expect(kim.session.take()).toEqual([{ type: 'member-left', peerId: pam.peerId, reason: 'left' }]);
      expect(pam.session.place).toBeUndefined();
    });

    it('a listener who left hears nothing more from the room and may join again', () => {
      const world = new World();
      const { code, host, pam } = roomOfThree(world);
      world.send(pam.session, { type: 'leave-room' });
      pam.session.take();
      world.send(host.session, { type: 'chat', text: 'bye Pam' });
      expect(pam.session.take()).toEqual([]);
      world.send(pam.session, { type: 'join-room', code, name: 'Pam' });
      expect(pam.session.takeOne('joined').resumed).toBe(false);
    });

    it('a listener who left cannot resume their old place', () => {
      const world = new World();
      const { code, pam } = roomOfThree(world);
      world.send(pam.session, { type: 'leave-room' });
      pam.session.take();
      world.send(pam.session, { type: 'resume', code, peerId: pam.peerId, token: pam.token });
      pam.session.takeError('invalid-token');
    });

    it('the host leaving closes the room for everyone with reason host-left', () => {
      const world = new World();
      const { code, host, pam, kim } = roomOfThree(world);
      world.send(host.session, { type: 'leave-room', requestId: 'l2' });
      expect(host.session.take()).toEqual([{ type: 'left', requestId: 'l2' }]);
      expect(pam.session.take()).toEqual([{ type: 'room-closed', code, reason: 'host-left' }]);
      expect(kim.session.take()).toEqual([{ type: 'room-closed', code, reason: 'host-left' }]);
      expect(world.hub.roomCount).toBe(0);
      expect(pam.session.place).toBeUndefined();
      const late = world.connect('192.0.2.99');
      world.send(late, { type: 'join-room', code, name: 'Lou' });
      late.takeError('room-not-found');
    });
  });

  describe('kicking', () => {
    it('the host removes a listener: the listener hears room-closed kicked, the others member-left kicked', () => {
      const world = new World();
      const { code, host, pam, kim } = roomOfThree(world);
      world.send(host.session, { type: 'kick', requestId: 'k1', peerId: pam.peerId });
      expect(pam.session.take()).toEqual([{ type: 'room-closed', code, reason: 'kicked' }]);
      expect(host.session.take()).toEqual([{ type: 'member-left', peerId: pam.peerId, reason: 'kicked' }]);
      expect(kim.session.take()).toEqual([{ type: 'member-left', peerId: pam.peerId, reason: 'kicked' }]);
    });

    it('a kicked listener is out of the room and cannot resume', () => {
      const world = new World();
      const { code, host, pam } = roomOfThree(world);
      world.send(host.session, { type: 'kick', peerId: pam.peerId });
      world.settle();
      world.send(pam.session, { type: 'chat', text: 'let me in' });
      pam.session.takeError('not-in-room');
      world.send(pam.session, { type: 'resume', code, peerId: pam.peerId, token: pam.token });
      pam.session.takeError('invalid-token');
      expect(host.session.take()).toEqual([]);
    });

    it('a listener who tries to kick gets not-host and nobody is removed', () => {
      const world = new World();
      const { host, pam, kim } = roomOfThree(world);
      world.send(pam.session, { type: 'kick', requestId: 'k2', peerId: kim.peerId });
      expect(pam.session.takeError('not-host').requestId).toBe('k2');
      world.send(pam.session, { type: 'kick', peerId: host.peerId });
      pam.session.takeError('not-host');
      expect(kim.session.take()).toEqual([]);
      expect(host.session.take()).toEqual([]);
    });

    it('answers peer-not-found when the host kicks someone not in the room, or itself', () => {
      const world = new World();
      const { host } = roomOfThree(world);
      const other = world.createRoom('Lou');
      world.send(host.session, { type: 'kick', requestId: 'k3', peerId: other.peerId });
      expect(host.session.takeError('peer-not-found').requestId).toBe('k3');
      world.send(host.session, { type: 'kick', peerId: host.peerId });
      host.session.takeError('peer-not-found');
      expect(world.hub.roomCount).toBe(2);
    });

    it('a listener whose connection dropped can be kicked, and then has no place to come back to', () => {
      const world = new World();
      const { code, host, pam, kim } = roomOfThree(world);
      world.drop(pam.session);
      world.settle();
      world.send(host.session, { type: 'kick', peerId: pam.peerId });
      expect(kim.session.take()).toEqual([{ type: 'member-left', peerId: pam.peerId, reason: 'kicked' }]);
      expect(world.clock.pendingTimers).toBe(0);
      const back = world.connect('192.0.2.21');
      world.send(back, { type: 'resume', code, peerId: pam.peerId, token: pam.token });
      back.takeError('invalid-token');
    });
  });

  describe('closing the room', () => {
    it('a listener who tries to close the room gets not-host and the room stays open', () => {
      const world = new World();
      const { host, pam } = roomOfThree(world);
      world.send(pam.session, { type: 'close-room', requestId: 'x1' });
      expect(pam.session.takeError('not-host').requestId).toBe('x1');
      expect(host.session.take()).toEqual([]);
      expect(world.hub.roomCount).toBe(1);
    });

    it('the host closing the room tells everyone, the host included, with reason host-closed', () => {
      const world = new World();
      const { code, host, pam, kim } = roomOfThree(world);
      world.send(host.session, { type: 'close-room' });
      for (const s of [host.session, pam.session, kim.session]) {
        expect(s.take()).toEqual([{ type: 'room-closed', code, reason: 'host-closed' }]);
        expect(s.place).toBeUndefined();
      }
      expect(world.hub.roomCount).toBe(0);
    });

    it('after the room is closed its code finds nothing and its members may start over', () => {
      const world = new World();
      const { code, host, pam } = roomOfThree(world);
      world.send(host.session, { type: 'close-room' });
      world.settle();
      world.send(pam.session, { type: 'join-room', code, name: 'Pam' });
      pam.session.takeError('room-not-found');
      world.send(pam.session, { type: 'create-room', name: 'Pam' });
      expect(pam.session.takeOne('joined').self.role).toBe('host');
    });

    it('cancels the grace periods of members who were reconnecting', () => {
      const world = new World();
      const { host, pam } = roomOfThree(world);
      world.drop(pam.session);
      expect(world.clock.pendingTimers).toBe(1);
      world.send(host.session, { type: 'close-room' });
      expect(world.clock.pendingTimers).toBe(0);
    });

    it('on server shutdown, every room closes with reason server-shutdown', () => {
      const world = new World();
      const a = roomOfThree(world);
      const b = world.createRoom('Lou');
      world.hub.closeAll('server-shutdown');
      expect(a.pam.session.take()).toEqual([
        { type: 'room-closed', code: a.code, reason: 'server-shutdown' },
      ]);
      expect(b.session.take()).toEqual([{ type: 'room-closed', code: b.code, reason: 'server-shutdown' }]);
      expect(world.hub.roomCount).toBe(0);
    });
  });

  describe('chat', () => {
    it('goes to everyone in the room, the sender included, normalised and stamped', () => {
      const world = new World();
      const { host, pam, kim } = roomOfThree(world);
      world.clock.advance(700);
      world.send(pam.session, { type: 'chat', requestId: 'm1', text: '  hi all\u0000 ' });
      const message = { id: 1, from: pam.peerId, name: 'Pam', text: 'hi all', at: T0 + 700 };
      for (const s of [host.session, pam.session, kim.session])
        expect(s.take()).toEqual([{ type: 'chat', message }]);
    });

    it('does not reach another room', () => {
      const world = new World();
      const { pam } = roomOfThree(world);
      const other = world.createRoom('Lou');
      const otherListener = world.join(other.code, 'Ned');
      world.settle();
      world.send(pam.session, { type: 'chat', text: 'only for my room' });
      expect(other.session.take()).toEqual([]);
      expect(otherListener.session.take()).toEqual([]);
    });

    it('answers bad-message to an empty line and sends nothing to the room', () => {
      const world = new World();
      const { host, pam } = roomOfThree(world);
      world.send(pam.session, { type: 'chat', requestId: 'm2', text: ' \n ' });
      expect(pam.session.takeError('bad-message').requestId).toBe('m2');
      expect(host.session.take()).toEqual([]);
    });

    it('answers rate-limited with retryAfterMs to a member who chats too fast, and tells no one else', () => {
      const world = new World();
      const { host, pam } = roomOfThree(world);
      for (let i = 0; i < 5; i++) world.send(pam.session, { type: 'chat', text: `line ${i}` });
      world.settle();
      world.send(pam.session, { type: 'chat', requestId: 'm3', text: 'too fast' });
      const error = pam.session.takeError('rate-limited');
      expect(error.requestId).toBe('m3');
      expect(error.retryAfterMs).toBe(2000);
      expect(host.session.take()).toEqual([]);
      world.clock.advance(2000);
      world.send(pam.session, { type: 'chat', text: 'better' });
      expect(host.session.takeOne('chat').message.text).toBe('better');
    });
  });

  describe('signaling', () => {
    it('relays a signal from the host to a listener, naming the host as sender', () => {
      const world = new World();
      const { host, pam, kim } = roomOfThree(world);
      world.send(host.session, { type: 'signal', to: pam.peerId, payload: offer });
      expect(pam.session.take()).toEqual([{ type: 'signal', from: host.peerId, payload: offer }]);
      expect(kim.session.take()).toEqual([]);
      expect(host.session.take()).toEqual([]);
    });

    it('relays a signal from a listener to the host', () => {
      const world = new World();
      const { host, pam } = roomOfThree(world);
      world.send(pam.session, { type: 'signal', to: host.peerId, payload: candidate });
      expect(host.session.take()).toEqual([{ type: 'signal', from: pam.peerId, payload: candidate }]);
    });

    it('refuses a signal between two listeners with peer-not-found', () => {
      const world = new World();
      const { host, pam, kim } = roomOfThree(world);
      world.send(pam.session, { type: 'signal', to: kim.peerId, payload: offer });
      pam.session.takeError('peer-not-found');
      expect(kim.session.take()).toEqual([]);
      expect(host.session.take()).toEqual([]);
    });

    it('refuses a signal to a peer of another room with peer-not-found', () => {
      const world = new World();
      const { host } = roomOfThree(world);
      const other = world.createRoom('Lou');
      const ned = world.join(other.code, 'Ned');
      world.settle();
      world.send(host.session, { type: 'signal', to: ned.peerId, payload: offer });
      host.session.takeError('peer-not-found');
      world.send(host.session, { type: 'signal', to: other.peerId, payload: offer });
      host.session.takeError('peer-not-found');
      expect(ned.session.take()).toEqual([]);
      expect(other.session.take()).toEqual([]);
    });

    it('refuses a signal to oneself or to a peer id nobody has', () => {
      const world = new World();
      const { host } = roomOfThree(world);
      world.send(host.session, { type: 'signal', to: host.peerId, payload: offer });
      host.session.takeError('peer-not-found');
      world.send(host.session, { type: 'signal', to: 'pNobody', payload: offer });
      host.session.takeError('peer-not-found');
    });

    it('refuses a signal to a member whose connection is down', () => {
      const world = new World();
      const { host, pam } = roomOfThree(world);
      world.drop(pam.session);
      world.settle();
      world.send(host.session, { type: 'signal', to: pam.peerId, payload: offer });
      host.session.takeError('peer-not-found');
    });
  });

  describe('a listener whose connection drops', () => {
    it('is shown to the others as reconnecting, and keeps its place in the roster', () => {
      const world = new World();
      const { host, pam, kim } = roomOfThree(world);
      world.drop(pam.session);
      const update = host.session.takeOne('member-updated');
      expect(update.member).toMatchObject({ peerId: pam.peerId, name: 'Pam', presence: 'reconnecting' });
      expect(kim.session.takeOne('member-updated').member.presence).toBe('reconnecting');
      const lou = world.join(host.code, 'Lou');
      expect(lou.joined.members.find((m) => m.peerId === pam.peerId)?.presence).toBe('reconnecting');
    });

    it('keeps its name taken while it is away', () => {
      const world = new World();
      const { code, pam } = roomOfThree(world);
      world.drop(pam.session);
      const impostor = world.connect('203.0.113.5');
      world.send(impostor, { type: 'join-room', code, name: 'pam' });
      impostor.takeError('name-taken');
    });

    it('a listener who reconnects within the grace period keeps their place', () => {
      const world = new World();
      const { code, host, pam, kim } = roomOfThree(world);
      world.send(host.session, { type: 'chat', text: 'while you were away' });
      world.drop(pam.session);
      world.clock.advance(OPTIONS.listenerGraceMs - 1);
      world.settle();

      const back = world.connect('192.0.2.77');
      world.send(back, { type: 'resume', requestId: 'r1', code, peerId: pam.peerId, token: pam.token });
      const joined = back.takeOne('joined');
      expect(joined).toMatchObject({
        requestId: 'r1',
        resumed: true,
        self: { peerId: pam.peerId, role: 'listener', token: pam.token },
      });
      expect(joined.members.find((m) => m.peerId === pam.peerId)?.presence).toBe('online');
      expect(joined.chat.map((m) => m.text)).toEqual(['while you were away']);

      const online = { type: 'member-updated', member: { peerId: pam.peerId, presence: 'online' } };
      expect(host.session.take()).toMatchObject([online]);
      expect(kim.session.take()).toMatchObject([online]);

      world.clock.advance(OPTIONS.listenerGraceMs * 2);
      expect(host.session.take()).toEqual([]);
      world.send(back, { type: 'chat', text: 'back' });
      expect(host.session.takeOne('chat').message.from).toBe(pam.peerId);
    });

    it('a listener who does not come back within the grace period is removed with reason timeout', () => {
      const world = new World();
      const { code, host, pam, kim } = roomOfThree(world);
      world.drop(pam.session);
      world.settle();
      world.clock.advance(OPTIONS.listenerGraceMs - 1);
      expect(host.session.take()).toEqual([]);
      world.clock.advance(1);
      expect(host.session.take()).toEqual([{ type: 'member-left', peerId: pam.peerId, reason: 'timeout' }]);
      expect(kim.session.take()).toEqual([{ type: 'member-left', peerId: pam.peerId, reason: 'timeout' }]);

      const late = world.connect('192.0.2.21');
      world.send(late, { type: 'resume', code, peerId: pam.peerId, token: pam.token });
      late.takeError('invalid-token');
    });

    it('gets a fresh grace period each time it drops', () => {
      const world = new World();
      const { code, host, pam } = roomOfThree(world);
      world.drop(pam.session);
      world.clock.advance(OPTIONS.listenerGraceMs - 1000);
      const back = world.connect();
      world.send(back, { type: 'resume', code, peerId: pam.peerId, token: pam.token });
      world.drop(back);
      world.settle();
      world.clock.advance(OPTIONS.listenerGraceMs - 1);
      expect(host.session.take()).toEqual([]);
      world.clock.advance(1);
      expect(host.session.takeOne('member-left').reason).toBe('timeout');
    });
  });

  describe('a host whose connection drops', () => {
    it('is shown to the listeners as reconnecting at once', () => {
      const world = new World();
      const { host, pam, kim } = roomOfThree(world);
      world.drop(host.session);
      for (const s of [pam.session, kim.session]) {
        expect(s.takeOne('member-updated').member).toMatchObject({
          peerId: host.peerId,
          presence: 'reconnecting',
        });
      }
    });

    it('a host who comes back within the grace period keeps the room and everyone in it', () => {
      const world = new World();
      const { code, host, pam, kim } = roomOfThree(world);
      world.drop(host.session);
      world.clock.advance(OPTIONS.hostGraceMs - 1);
      world.settle();

      const back = world.connect('192.0.2.88');
      world.send(back, { type: 'resume', code, peerId: host.peerId, token: host.token });
      const joined = back.takeOne('joined');
      expect(joined).toMatchObject({ resumed: true, self: { peerId: host.peerId, role: 'host' } });
      expect(joined.room.hostId).toBe(host.peerId);
      expect(joined.members.map((m) => m.name)).toEqual(['Sam', 'Pam', 'Kim']);
      for (const s of [pam.session, kim.session]) {
        expect(s.takeOne('member-updated').member).toMatchObject({ peerId: host.peerId, presence: 'online' });
      }

      world.clock.advance(OPTIONS.hostGraceMs * 2);
      expect(pam.session.take()).toEqual([]);
      expect(world.hub.roomCount).toBe(1);
      world.send(back, { type: 'signal', to: pam.peerId, payload: offer });
      expect(pam.session.takeOne('signal').from).toBe(host.peerId);
    });

    it('a host who does not come back closes the room with host-timeout, and the code stops working', () => {
      const world = new World();
      const { code, host, pam, kim } = roomOfThree(world);
      world.drop(host.session);
      world.settle();
      world.clock.advance(OPTIONS.hostGraceMs - 1);
      expect(pam.session.take()).toEqual([]);
      world.clock.advance(1);
      expect(pam.session.take()).toEqual([{ type: 'room-closed', code, reason: 'host-timeout' }]);
      expect(kim.session.take()).toEqual([{ type: 'room-closed', code, reason: 'host-timeout' }]);
      expect(world.hub.roomCount).toBe(0);

      const late = world.connect('192.0.2.60');
      world.send(late, { type: 'join-room', code, name: 'Lou' });
      late.takeError('room-not-found');
      world.send(late, { type: 'resume', code, peerId: host.peerId, token: host.token });
      late.takeError('room-not-found');
    });

    it('uses the host grace period, not the listener one', () => {
      expect(OPTIONS.hostGraceMs).toBeGreaterThan(OPTIONS.listenerGraceMs);
      const world = new World();
      const { host, pam } = roomOfThree(world);
      world.drop(host.session);
      world.settle();
      world.clock.advance(OPTIONS.listenerGraceMs);
      expect(world.hub.roomCount).toBe(1);
      expect(pam.session.take()).toEqual([]);
    });
  });

  describe('resuming', () => {
    it('answers invalid-token to a wrong token and leaves the member where it was', () => {
      const world = new World();
      const { code, host, pam } = roomOfThree(world);
      world.drop(pam.session);
      world.settle();
      const thief = world.connect('203.0.113.5');
      world.send(thief, { type: 'resume', requestId: 'r2', code, peerId: pam.peerId, token: host.token });
      expect(thief.takeError('invalid-token').requestId).toBe('r2');
      expect(thief.place).toBeUndefined();
      expect(host.session.take()).toEqual([]);
    });

    it('counts a wrong token as a failed attempt, like a wrong code', () => {
      const world = new World();
      const { code, pam } = roomOfThree(world);
      const thief = world.connect('203.0.113.5');
      for (let i = 0; i < OPTIONS.joinBurst; i++) {
        world.send(thief, { type: 'resume', code, peerId: pam.peerId, token: `guess-${i}` });
        thief.takeError('invalid-token');
      }
      world.send(thief, { type: 'resume', code, peerId: pam.peerId, token: pam.token });
      expect(thief.takeError('too-many-attempts').retryAfterMs).toBeGreaterThan(0);
    });

    it('answers room-not-found to a resume into a room that does not exist', () => {
      const world = new World();
      const { code, pam } = roomOfThree(world);
      const session = world.connect();
      world.send(session, { type: 'resume', code: otherCode(code), peerId: pam.peerId, token: pam.token });
      session.takeError('room-not-found');
    });

    it('a resume from a second connection while the first is open moves the place, and the first hears replaced', () => {
      const world = new World();
      const { code, host, pam } = roomOfThree(world);
      const second = world.connect('192.0.2.21');
      world.send(second, { type: 'resume', code, peerId: pam.peerId, token: pam.token });
      expect(second.takeOne('joined').resumed).toBe(true);
      expect(pam.session.take()).toEqual([{ type: 'room-closed', code, reason: 'replaced' }]);
      expect(pam.session.place).toBeUndefined();
      // Presence never changed, so the others hear nothing.
      expect(host.session.take()).toEqual([]);

      world.send(host.session, { type: 'signal', to: pam.peerId, payload: offer });
      expect(second.takeOne('signal').from).toBe(host.peerId);
      expect(pam.session.take()).toEqual([]);
      world.send(pam.session, { type: 'chat', text: 'old tab' });
      pam.session.takeError('not-in-room');
    });

    it('the old connection closing afterwards does not take the place away from the new one', () => {
      const world = new World();
      const { code, host, pam } = roomOfThree(world);
      const second = world.connect('192.0.2.21');
      world.send(second, { type: 'resume', code, peerId: pam.peerId, token: pam.token });
      world.settle();
      world.drop(pam.session);
      world.clock.advance(OPTIONS.listenerGraceMs * 2);
      expect(host.session.take()).toEqual([]);
      expect(world.clock.pendingTimers).toBe(0);
      world.send(second, { type: 'chat', text: 'still here' });
      expect(host.session.takeOne('chat').message.from).toBe(pam.peerId);
    });

    it('answers already-in-room to a member of one place resuming another', () => {
      const world = new World();
      const { code, pam, kim } = roomOfThree(world);
      world.send(pam.session, { type: 'resume', code, peerId: kim.peerId, token: kim.token });
      pam.session.takeError('already-in-room');
      expect(kim.session.take()).toEqual([]);
    });
  });

  describe('TURN credentials over a long session', () => {
    const TURN: Partial<HubOptions> = {
      turnUrls: ['turn:t.example.org:3478?transport=udp'],
      turnSecret: 'coturn-static-auth-secret-of-32-chars',
      turnTtlSeconds: 600,
    };
    const expiryOf = (servers: { username?: string | undefined }[]) =>
      Number((servers[0]?.username ?? '').split(':')[0]) * 1000;

    it('hands every member fresh ICE servers when its credential has a quarter of its life left', () => {
      const world = new World(TURN);
      const { host, pam, kim } = roomOfThree(world);
      const first = expiryOf(host.joined.iceServers);
      expect(first).toBe(T0 + 600_000);
      world.clock.advance(450_000 - 1);
      expect(host.session.take()).toEqual([]);
      world.clock.advance(1);
      for (const member of [host, pam, kim]) {
        const { iceServers } = member.session.takeOne('ice-servers');
        expect(iceServers[0]?.username).toBe(`${(T0 + 450_000) / 1000 + 600}:${member.peerId}`);
        expect(iceServers[0]?.urls).toEqual(TURN.turnUrls);
      }
      // And again before those expire, for as long as the jam goes on.
      world.clock.advance(450_000);
      expect(expiryOf(pam.session.takeOne('ice-servers').iceServers)).toBe(T0 + 1_500_000);
    });

    it('sends none to a member while it is reconnecting; its resume brings fresh ones and a new schedule', () => {
      const world = new World({ ...TURN, listenerGraceMs: 600_000 });
      const { code, host, pam } = roomOfThree(world);
      world.drop(pam.session);
      world.settle();
      world.clock.advance(450_000);
      expect(pam.session.take()).toEqual([]);
      expect(host.session.takeOne('ice-servers').iceServers).toHaveLength(1);
      world.clock.advance(10_000);
      const back = world.connect();
      world.send(back, { type: 'resume', code, peerId: pam.peerId, token: pam.token });
      expect(expiryOf(back.takeOne('joined').iceServers)).toBe(T0 + 460_000 + 600_000);
      world.clock.advance(450_000);
      expect(back.takeOne('ice-servers').iceServers).toHaveLength(1);
    });

    it('stops for members who left, were removed, or whose room closed: no timer is left behind', () => {
      const world = new World(TURN);
      const { host, pam, kim } = roomOfThree(world);
      world.send(pam.session, { type: 'leave-room' });
      world.send(host.session, { type: 'kick', peerId: kim.peerId });
      world.settle();
      world.clock.advance(450_000);
      expect(pam.session.take()).toEqual([]);
      expect(kim.session.take()).toEqual([]);
      expect(host.session.takeOne('ice-servers').iceServers).toHaveLength(1);
      world.send(host.session, { type: 'close-room' });
      expect(world.clock.pendingTimers).toBe(0);
    });

    it('sends no refresh without a TURN relay (STUN needs no credential)', () => {
      const world = new World({ stunUrls: ['stun:s.example.org'] });
      const { host, pam } = roomOfThree(world);
      expect(world.clock.pendingTimers).toBe(0);
      world.clock.advance(3_600_000 * 3);
      expect(host.session.take()).toEqual([]);
      expect(pam.session.take()).toEqual([]);
    });
  });

  describe('two rooms', () => {
    it('share nothing: what happens in one never reaches the other', () => {
      const world = new World();
      const a = roomOfThree(world);
      const b = roomOfThree(world); // the same names may be used in both rooms
      const inboxes = (r: typeof a) => [r.host, r.pam, r.kim].flatMap((m) => m.session.take());

      const aLou = world.join(a.code, 'Lou', '192.0.2.50');
      world.send(a.pam.session, { type: 'chat', text: 'hello A' });
      world.send(a.host.session, { type: 'signal', to: a.pam.peerId, payload: offer });
      world.send(a.pam.session, { type: 'signal', to: a.host.peerId, payload: candidate });
      world.drop(a.kim.session);
      world.clock.advance(OPTIONS.listenerGraceMs);
      world.send(a.host.session, { type: 'kick', peerId: aLou.peerId });
      expect(inboxes(b)).toEqual([]);
      inboxes(a);

      world.join(b.code, 'Lou', '198.51.100.50');
      world.send(b.kim.session, { type: 'chat', text: 'hello B' });
      world.send(b.host.session, { type: 'signal', to: b.kim.peerId, payload: offer });
      world.drop(b.pam.session);
      world.clock.advance(OPTIONS.listenerGraceMs);
      expect(inboxes(a)).toEqual([]);
      inboxes(b);

      world.send(a.host.session, { type: 'close-room' });
      expect(inboxes(b)).toEqual([]);
      expect(world.hub.roomCount).toBe(1);
      world.send(b.kim.session, { type: 'chat', text: 'still here' });
      expect(b.host.session.takeOne('chat').message.text).toBe('still here');
    });
  });

  describe('a connection that is in no room', () => {
    it.each<[string, ClientMessage]>([
      ['chat', { type: 'chat', requestId: 'n1', text: 'hello?' }],
      ['kick', { type: 'kick', requestId: 'n1', peerId: 'pSomeone' }],
      ['leave-room', { type: 'leave-room', requestId: 'n1' }],
      ['close-room', { type: 'close-room', requestId: 'n1' }],
    ])('gets not-in-room for %s, with its requestId', (_type, message) => {
      const world = new World();
      const session = world.connect();
      world.send(session, message);
      expect(session.takeError('not-in-room').requestId).toBe('n1');
    });

    it('gets not-in-room for signal', () => {
      const world = new World();
      const { host } = roomOfThree(world);
      const session = world.connect();
      world.send(session, { type: 'signal', to: host.peerId, payload: offer });
      session.takeError('not-in-room');
      expect(host.session.take()).toEqual([]);
    });
  });
});
