import { createHash, randomBytes, randomInt } from 'node:crypto';
import {
  type ClientMessage,
  type ClientMessageOf,
  type CloseReason,
  type ErrorCode,
  type LeaveReason,
  normalizeRoomCode,
  PROTOCOL_VERSION,
  ROOM_CODE_ALPHABET,
  ROOM_CODE_LENGTH,
  type ServerMessage,
} from '../protocol/index.js';
import { AttemptLimiter } from './limiters.js';
import type { Logger } from './logger.js';
import { type MemberRecord, Room, type RoomSnapshot } from './Room.js';
import { TurnRefresh } from './TurnRefresh.js';
import { type IceConfig, iceServersFor } from './turn.js';

/** One client connection as the Hub sees it: an address and a way to send. */
export interface Session {
  readonly id: number;
  /** Client address, the key for slowing down wrong room codes. */
  readonly address: string;
  send(message: ServerMessage): void;
  /** Set by the Hub while the session holds a place in a room. */
  place?: { room: Room; peerId: string } | undefined;
}

/** Time and timers, injected so tests run the grace periods on a fake clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface HubOptions extends IceConfig {
  maxRooms: number;
  maxMembers: number;
  hostGraceMs: number;
  listenerGraceMs: number;
  joinBurst: number;
  joinLeakMs: number;
  /** Rooms one address hosts at once (default: no limit). */
  maxRoomsPerAddress?: number;
  /** Rooms an address may create in a row, then one per createLeakMs (default: no limit). */
  createBurst?: number;
  createLeakMs?: number;
  /** PUBLIC_URL: an https one is sent in `welcome`, for pages opened over plain http. */
  publicUrl?: string | undefined;
  /** A room with no listener and no activity for this long ends at the next endIdleRooms() (default: never). */
  roomIdleMs?: number;
}

type Handler<T extends ClientMessage['type']> = (session: Session, message: ClientMessageOf<T>) => void;
/** One handler per message type; a type without one fails the type check. */
type Handlers = { [T in ClientMessage['type']]: Handler<T> };

/**
 * Rooms and who is in them: creates and closes rooms, admits members, relays signaling and chat,
 * holds a dropped member's place for a grace period. Transport-free: sessions are anything that can
 * `send`, so the WebSocket adapter (SignalingServer) stays thin and this is tested directly.
 */
export class Hub {
  readonly #rooms = new Map<string, Room>();
  /** peerId -> the live session holding that place (absent while the member is reconnecting). */
  readonly #sessions = new Map<string, Session>();
  /** peerId -> grace timer of a member whose connection dropped. */
  readonly #graceTimers = new Map<string, unknown>();
  readonly #attempts: AttemptLimiter;
  /** Rooms created per address, as a leaky score (the same arithmetic as wrong codes). */
  readonly #creates: AttemptLimiter;
  /** The address that created each room, and how many rooms each address hosts now. */
  readonly #creators = new Map<Room, string>();
  readonly #hostedBy = new Map<string, number>();
  /** When anything last happened in each room (a join, a resume, a chat line, a signal). */
  readonly #activeAt = new Map<Room, number>();
  /** Room codes never reach the log: a per-process salt makes the logged id useless for joining. */
  readonly #logSalt = randomBytes(16);
  readonly #handlers: Handlers;
  /** Fresh TURN credentials for every member before its last ones expire. */
  readonly #turnRefresh: TurnRefresh;

  constructor(
    readonly options: HubOptions,
    readonly clock: Clock,
    readonly log: Logger,
  ) {
    this.#attempts = new AttemptLimiter({
      burst: options.joinBurst,
      leakMs: options.joinLeakMs,
      maxKeys: 100_000,
    });
    this.#creates = new AttemptLimiter({
      burst: options.createBurst ?? Number.POSITIVE_INFINITY,
      leakMs: options.createLeakMs ?? 1,
      maxKeys: 100_000,
    });
    this.#turnRefresh = new TurnRefresh(options, clock, (peerId, iceServers) => {
      const session = this.#sessions.get(peerId);
      session?.send({ type: 'ice-servers', iceServers });
      return session !== undefined;
    });
    this.#handlers = {
      'create-room': (s, m) => this.#createRoom(s, m),
      'join-room': (s, m) => this.#joinRoom(s, m),
      resume: (s, m) => this.#resume(s, m),
      'leave-room': (s, m) => this.#leaveRoom(s, m),
      kick: (s, m) => this.#kick(s, m),
      'close-room': (s, m) => this.#closeRoomByHost(s, m),
      chat: (s, m) => this.#chat(s, m),
      signal: (s, m) => this.#signal(s, m),
      ping: (s, m) => s.send({ type: 'pong', t: m.t, serverTime: this.clock.now() }),
    };
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  connect(session: Session): void {
    const secureUrl = this.options.publicUrl?.startsWith('https://') ? this.options.publicUrl : undefined;
    session.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      serverTime: this.clock.now(),
      ...(secureUrl ? { secureUrl } : {}),
    });
  }

  handle(session: Session, message: ClientMessage): void {
    const handler = this.#handlers[message.type] as Handler<typeof message.type>;
    handler(session, message);
  }

  /** The connection is gone: hold the member's place for its grace period. */
  disconnect(session: Session): void {
    const place = session.place;
    if (!place) return;
    session.place = undefined;
    const { room, peerId } = place;
    if (this.#sessions.get(peerId) !== session) return;
    this.#sessions.delete(peerId);
    const member = room.get(peerId);
    if (!member || room.closed) return;
    member.presence = 'reconnecting';
    this.#broadcast(room, { type: 'member-updated', member: Room.view(member) });
    this.#holdPlace(room, member);
    this.log.debug('member dropped', { room: this.#logId(room), peerId });
  }

  /** The open rooms, for RoomStore: it saves those whose revision moved (token hashes only, no secret). */
  rooms(): Iterable<Room> {
    return this.#rooms.values();
  }

  /**
   * Brings back saved rooms after a restart: every member is `reconnecting`, with a full grace
   * period from now to resume (clients reconnect on their own). Codes already in use are skipped.
   */
  restore(rooms: RoomSnapshot[]): void {
    const now = this.clock.now();
    for (const s of rooms) {
      if (this.#rooms.has(s.code) || this.#rooms.size >= this.options.maxRooms) continue;
      const room = Room.restore(s, now);
      this.#rooms.set(room.code, room);
      this.#activeAt.set(room, now);
      for (const member of room.members()) this.#holdPlace(room, member);
    }
    if (rooms.length > 0) this.log.info('rooms restored', { rooms: this.#rooms.size });
  }

  /** Ends the rooms that have had no listener and no activity for roomIdleMs; the server calls it now and then. */
  endIdleRooms(): void {
    const idleMs = this.options.roomIdleMs;
    if (idleMs === undefined) return;
    const now = this.clock.now();
    for (const room of [...this.#rooms.values()]) {
      if (room.members().some((m) => m.role === 'listener')) continue;
      if (now - (this.#activeAt.get(room) ?? now) >= idleMs) this.#closeRoom(room, 'idle');
    }
  }

  /** Ends every room (server shutting down). */
  closeAll(reason: CloseReason): void {
    for (const room of [...this.#rooms.values()]) this.#closeRoom(room, reason);
  }

  // -------------------------------------------------------------------------------------------
  // Handlers

  #createRoom(session: Session, m: ClientMessageOf<'create-room'>): void {
    if (session.place) return this.#error(session, 'already-in-room', 'leave your room first', m.requestId);
    if (this.#rooms.size >= this.options.maxRooms) {
      return this.#error(session, 'server-full', 'room limit reached', m.requestId);
    }
    const now = this.clock.now();
    const hosted = this.#hostedBy.get(session.address) ?? 0;
    if (hosted >= (this.options.maxRoomsPerAddress ?? Number.POSITIVE_INFINITY)) {
      return this.#error(session, 'rate-limited', 'your address hosts as many jams as it may', m.requestId);
    }
    const wait = this.#creates.retryAfterMs(session.address, now);
    if (wait > 0) return this.#error(session, 'rate-limited', 'too many new jams', m.requestId, wait);
    const room = new Room(this.#newCode(), now, this.options.maxMembers);
    const added = room.add(m.name, 'host', now);
    if (!added.ok) return this.#error(session, added.code, 'cannot create room', m.requestId);
    this.#creates.fail(session.address, now);
    this.#rooms.set(room.code, room);
    this.#creators.set(room, session.address);
    this.#hostedBy.set(session.address, hosted + 1);
    this.#activeAt.set(room, now);
    this.#bind(session, room, added.member);
    this.log.info('room created', { room: this.#logId(room), rooms: this.#rooms.size });
    this.#sendJoined(session, room, added.member, added.token, m.requestId, false);
  }

  #joinRoom(session: Session, m: ClientMessageOf<'join-room'>): void {
    if (session.place) return this.#error(session, 'already-in-room', 'leave your room first', m.requestId);
    const room = this.#findRoomGuarded(session, m.code, m.requestId);
    if (!room) return;
    const added = room.add(m.name, 'listener', this.clock.now());
    if (!added.ok) return this.#error(session, added.code, `cannot join ${room.code}`, m.requestId);
    this.#bind(session, room, added.member);
    this.#activeAt.set(room, this.clock.now());
    this.#broadcast(room, { type: 'member-joined', member: Room.view(added.member) }, added.member.peerId);
    this.#sendJoined(session, room, added.member, added.token, m.requestId, false);
  }

  #resume(session: Session, m: ClientMessageOf<'resume'>): void {
    const room = this.#findRoomGuarded(session, m.code, m.requestId);
    if (!room) return;
    const member = room.verify(m.peerId, m.token);
    if (!member) {
      this.#attempts.fail(session.address, this.clock.now());
      return this.#error(
        session,
        'invalid-token',
        'no such member, or the token does not match',
        m.requestId,
      );
    }
    if (session.place && session.place.peerId !== member.peerId) {
      return this.#error(session, 'already-in-room', 'leave your room first', m.requestId);
    }
    // The same person on a new connection: the old one (a reloaded tab not yet noticed) loses the place.
    const previous = this.#sessions.get(member.peerId);
    if (previous && previous !== session) {
      previous.place = undefined;
      previous.send({ type: 'room-closed', code: room.code, reason: 'replaced' });
    }
    const timer = this.#graceTimers.get(member.peerId);
    if (timer !== undefined) {
      this.clock.clearTimeout(timer);
      this.#graceTimers.delete(member.peerId);
    }
    this.#bind(session, room, member);
    this.#activeAt.set(room, this.clock.now());
    if (member.presence !== 'online') {
      member.presence = 'online';
      this.#broadcast(room, { type: 'member-updated', member: Room.view(member) }, member.peerId);
    }
    this.#sendJoined(session, room, member, m.token, m.requestId, true);
  }

  #leaveRoom(session: Session, m: ClientMessageOf<'leave-room'>): void {
    const ctx = this.#context(session, m.requestId);
    if (!ctx) return;
    const { room, member } = ctx;
    session.place = undefined;
    this.#sessions.delete(member.peerId);
    if (member.role === 'host') this.#closeRoom(room, 'host-left');
    else this.#removeMember(room, member, 'left');
    session.send({ type: 'left', requestId: m.requestId });
  }

  #kick(session: Session, m: ClientMessageOf<'kick'>): void {
    const ctx = this.#hostContext(session, m.requestId);
    if (!ctx) return;
    const target = ctx.room.get(m.peerId);
    if (!target || target.role === 'host') {
      return this.#error(session, 'peer-not-found', 'no such listener in this room', m.requestId);
    }
    const targetSession = this.#sessions.get(target.peerId);
    if (targetSession) {
      targetSession.place = undefined;
      targetSession.send({ type: 'room-closed', code: ctx.room.code, reason: 'kicked' });
    }
    this.#removeMember(ctx.room, target, 'kicked');
  }

  #closeRoomByHost(session: Session, m: ClientMessageOf<'close-room'>): void {
    const ctx = this.#hostContext(session, m.requestId);
    if (!ctx) return;
    this.#closeRoom(ctx.room, 'host-closed');
  }

  #chat(session: Session, m: ClientMessageOf<'chat'>): void {
    const ctx = this.#context(session, m.requestId);
    if (!ctx) return;
    const result = ctx.room.chat(ctx.member, m.text, this.clock.now());
    if (!result.ok) {
      const why = result.code === 'rate-limited' ? 'chat is rate-limited' : 'empty or too long';
      return this.#error(session, result.code, why, m.requestId, result.retryAfterMs);
    }
    this.#activeAt.set(ctx.room, this.clock.now());
    this.#broadcast(ctx.room, { type: 'chat', message: result.message });
  }

  #signal(session: Session, m: ClientMessageOf<'signal'>): void {
    const ctx = this.#context(session, undefined);
    if (!ctx) return;
    const target = ctx.room.get(m.to);
    const targetSession = target ? this.#sessions.get(target.peerId) : undefined;
    // Media flows host <-> listener only; listeners never learn each other's addresses.
    if (
      !target ||
      !targetSession ||
      target === ctx.member ||
      (ctx.member.role !== 'host' && target.role !== 'host')
    ) {
      return this.#error(session, 'peer-not-found', 'signal target is not reachable from here');
    }
    this.#activeAt.set(ctx.room, this.clock.now());
    targetSession.send({ type: 'signal', from: ctx.member.peerId, payload: m.payload });
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  /** Looks a room up by a typed code; wrong codes count against the address. */
  #findRoomGuarded(session: Session, rawCode: string, requestId: string | undefined): Room | undefined {
    const now = this.clock.now();
    const wait = this.#attempts.retryAfterMs(session.address, now);
    if (wait > 0) {
      this.#error(session, 'too-many-attempts', 'too many wrong room codes', requestId, wait);
      return undefined;
    }
    const code = normalizeRoomCode(rawCode);
    const room = code ? this.#rooms.get(code) : undefined;
    if (!room) {
      this.#attempts.fail(session.address, now);
      this.log.debug('room not found', { address: session.address });
      this.#error(session, 'room-not-found', 'no open room has this code', requestId);
      return undefined;
    }
    return room;
  }

  #context(
    session: Session,
    requestId: string | undefined,
  ): { room: Room; member: MemberRecord } | undefined {
    const place = session.place;
    const member = place?.room.get(place.peerId);
    if (!place || !member || place.room.closed) {
      this.#error(session, 'not-in-room', 'join a room first', requestId);
      return undefined;
    }
    return { room: place.room, member };
  }

  #hostContext(
    session: Session,
    requestId: string | undefined,
  ): { room: Room; member: MemberRecord } | undefined {
    const ctx = this.#context(session, requestId);
    if (ctx && ctx.member.role !== 'host') {
      this.#error(session, 'not-host', 'only the host can do this', requestId);
      return undefined;
    }
    return ctx;
  }

  #bind(session: Session, room: Room, member: MemberRecord): void {
    session.place = { room, peerId: member.peerId };
    this.#sessions.set(member.peerId, session);
  }

  #sendJoined(
    session: Session,
    room: Room,
    member: MemberRecord,
    token: string,
    requestId: string | undefined,
    resumed: boolean,
  ): void {
    const now = this.clock.now();
    session.send({
      type: 'joined',
      requestId,
      room: room.info(),
      self: { peerId: member.peerId, role: member.role, token },
      members: room.members().map(Room.view),
      chat: room.chatHistory(),
      iceServers: iceServersFor(this.options, member.peerId, now),
      serverTime: now,
      resumed,
    });
    this.#turnRefresh.sent(member.peerId);
  }

  /** Keeps a reconnecting member's place for its grace period; after it, the place (or the room) goes. */
  #holdPlace(room: Room, member: MemberRecord): void {
    const grace = member.role === 'host' ? this.options.hostGraceMs : this.options.listenerGraceMs;
    const { peerId } = member;
    const previous = this.#graceTimers.get(peerId);
    if (previous !== undefined) this.clock.clearTimeout(previous);
    this.#graceTimers.set(
      peerId,
      this.clock.setTimeout(() => {
        this.#graceTimers.delete(peerId);
        if (room.closed || room.get(peerId) !== member || member.presence !== 'reconnecting') return;
        if (member.role === 'host') this.#closeRoom(room, 'host-timeout');
        else this.#removeMember(room, member, 'timeout');
      }, grace),
    );
  }

  #removeMember(room: Room, member: MemberRecord, reason: LeaveReason): void {
    room.remove(member.peerId);
    this.#forget(member.peerId);
    this.#broadcast(room, { type: 'member-left', peerId: member.peerId, reason });
  }

  #closeRoom(room: Room, reason: CloseReason): void {
    if (room.closed) return;
    room.close();
    for (const member of room.members()) {
      const s = this.#sessions.get(member.peerId);
      if (s) {
        s.place = undefined;
        s.send({ type: 'room-closed', code: room.code, reason });
      }
      this.#forget(member.peerId);
    }
    this.#rooms.delete(room.code);
    this.#activeAt.delete(room);
    const creator = this.#creators.get(room);
    if (creator !== undefined) {
      this.#creators.delete(room);
      const left = (this.#hostedBy.get(creator) ?? 1) - 1;
      if (left > 0) this.#hostedBy.set(creator, left);
      else this.#hostedBy.delete(creator);
    }
    this.log.info('room closed', { room: this.#logId(room), reason, rooms: this.#rooms.size });
  }

  /** A short id for a room in the log, from which its code cannot be found. */
  #logId(room: Room): string {
    return createHash('sha256').update(this.#logSalt).update(room.code).digest('base64url').slice(0, 8);
  }

  #forget(peerId: string): void {
    this.#turnRefresh.forget(peerId);
    this.#sessions.delete(peerId);
    const timer = this.#graceTimers.get(peerId);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.#graceTimers.delete(peerId);
  }

  #broadcast(room: Room, message: ServerMessage, exceptPeerId?: string): void {
    for (const member of room.members()) {
      if (member.peerId === exceptPeerId) continue;
      this.#sessions.get(member.peerId)?.send(message);
    }
  }

  #error(
    session: Session,
    code: ErrorCode,
    message: string,
    requestId?: string | undefined,
    retryAfterMs?: number | undefined,
  ): void {
    session.send({
      type: 'error',
      code,
      message,
      ...(requestId !== undefined && { requestId }),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    });
  }

  #newCode(): string {
    for (;;) {
      let code = '';
      for (let i = 0; i < ROOM_CODE_LENGTH; i++)
        code += ROOM_CODE_ALPHABET[randomInt(ROOM_CODE_ALPHABET.length)];
      if (!this.#rooms.has(code)) return code;
    }
  }
}
