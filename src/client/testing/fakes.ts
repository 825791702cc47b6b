/**
 * Test doubles for the client's unit tests (never imported by the app): a scripted socket standing in
 * for the server, an in-memory storage, and builders for server messages.
 */
import {
  type ClientMessage,
  type ClientMessageOf,
  type ClientMessageType,
  encodeMessage,
  type Member,
  type ServerMessage,
  type ServerMessageOf,
} from '../../protocol/index.js';
import type { SocketFactory, SocketHandlers, SocketLike } from '../net/SignalingClient.js';
import type { KeyValueStore } from '../state/PlaceStore.js';

export class FakeSocket implements SocketLike {
  readonly sent: ClientMessage[] = [];
  closedWith: number | undefined;

  constructor(
    readonly url: string,
    readonly handlers: SocketHandlers,
  ) {}

  send(frame: string): void {
    this.sent.push(JSON.parse(frame) as ClientMessage);
  }

  close(code = 1000): void {
    this.closedWith = code;
  }

  /** The server accepts: the socket opens and says welcome. */
  accept(serverTime = Date.now()): void {
    this.handlers.open();
    this.deliver({ type: 'welcome', protocol: 1, serverTime });
  }

  deliver(message: ServerMessage): void {
    this.handlers.message(encodeMessage(message));
  }

  deliverRaw(frame: string): void {
    this.handlers.message(frame);
  }

  /** The connection breaks (as a phone losing Wi-Fi would). */
  drop(code = 1006, reason = ''): void {
    this.handlers.close(code, reason);
  }

  sentOf<T extends ClientMessageType>(type: T): ClientMessageOf<T>[] {
    return this.sent.filter((m) => m.type === type) as ClientMessageOf<T>[];
  }

  lastOf<T extends ClientMessageType>(type: T): ClientMessageOf<T> {
    const all = this.sentOf(type);
    const last = all[all.length - 1];
    if (!last) throw new Error(`nothing of type ${type} was sent; sent: ${JSON.stringify(this.sent)}`);
    return last;
  }
}

/** Every socket the client under test opened, newest last. */
export class FakeNetwork {
  readonly sockets: FakeSocket[] = [];
  readonly factory: SocketFactory = (url, handlers) => {
    const socket = new FakeSocket(url, handlers);
    this.sockets.push(socket);
    return socket;
  };

  get last(): FakeSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }
}

export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
  removeItem(key: string): void {
    this.data.delete(key);
  }
}

export const CODE = 'K7Q4MZ';
export const CREATED_AT = 1_700_000_000_000;

export function member(peerId: string, name: string, overrides: Partial<Member> = {}): Member {
  return { peerId, name, role: 'listener', presence: 'online', joinedAt: CREATED_AT + 1000, ...overrides };
}

export const HOST = member('pHost', 'Hana', { role: 'host', joinedAt: CREATED_AT });
export const ANA = member('pAna', 'Ana', { joinedAt: CREATED_AT + 2000 });
export const BEN = member('pBen', 'Ben', { joinedAt: CREATED_AT + 3000 });

/** A `joined` for `self` (a member of `members`) in room CODE hosted by HOST. */
export function joined(
  self: Member,
  members: Member[] = [HOST, self],
  extra: Partial<ServerMessageOf<'joined'>> = {},
): ServerMessageOf<'joined'> {
  return {
    type: 'joined',
    room: { code: CODE, hostId: HOST.peerId, createdAt: CREATED_AT, maxMembers: 16 },
    self: { peerId: self.peerId, role: self.role, token: `token-${self.peerId}` },
    members: members.filter((m, i) => members.findIndex((n) => n.peerId === m.peerId) === i),
    chat: [],
    iceServers: [],
    serverTime: CREATED_AT + 5000,
    resumed: false,
    ...extra,
  };
}

export function chatLine(id: number, from: Member, text: string): ServerMessageOf<'chat'> {
  return {
    type: 'chat',
    message: { id, from: from.peerId, name: from.name, text, at: CREATED_AT + id * 1000 },
  };
}
