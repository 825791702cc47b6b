import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type ChatMessage,
  type ErrorCode,
  INVISIBLE,
  LIMITS,
  type Member,
  nameKey,
  normalizeName,
  type Presence,
  type Role,
  type RoomInfo,
} from '../protocol/index.js';
import { TokenBucket } from './limiters.js';

/** A member as the server keeps it: the public view plus what only the server may see. */
export interface MemberRecord {
  readonly peerId: string;
  readonly name: string;
  readonly role: Role;
  readonly joinedAt: number;
  presence: Presence;
  /** sha256 of the member's resume token; the token itself is never stored. */
  readonly tokenHash: Buffer;
  readonly chatBucket: TokenBucket;
}

export type AddResult =
  | { ok: true; member: MemberRecord; token: string }
  | { ok: false; code: Extract<ErrorCode, 'name-invalid' | 'name-taken' | 'room-full'> };

export type ChatResult =
  | { ok: true; message: ChatMessage }
  | { ok: false; code: Extract<ErrorCode, 'bad-message' | 'rate-limited'>; retryAfterMs?: number };

/** A room as saved to disk (RoomStore validates it on the way back). */
export interface RoomSnapshot {
  code: string;
  createdAt: number;
  maxMembers: number;
  hostId: string;
  nextChatId: number;
  chat: ChatMessage[];
  members: { peerId: string; name: string; role: Role; joinedAt: number; tokenHash: string }[];
}

/** Chat: 5 lines at once, then one every 2 s; enough to paste a few song links in a row. */
const CHAT_BURST = 5;
const CHAT_PER_SECOND = 0.5;

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function newPeerId(): string {
  return `p${randomBytes(9).toString('base64url')}`;
}

/**
 * One jam: its members, its host and its chat. Pure state: no sockets and no timers (the Hub owns
 * those), so every rule here is unit-tested directly.
 */
export class Room {
  readonly #members = new Map<string, MemberRecord>();
  readonly #chat: ChatMessage[] = [];
  #nextChatId = 1;
  #hostId = '';
  #closed = false;
  #revision = 0;

  constructor(
    readonly code: string,
    readonly createdAt: number,
    readonly maxMembers: number,
  ) {}

  get hostId(): string {
    return this.#hostId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#members.size;
  }

  /**
   * Goes up with every change that `snapshot()` shows (a member in or out, a chat line), so
   * RoomStore can tell a changed room without serializing it. Presence and rate buckets are not saved.
   */
  get revision(): number {
    return this.#revision;
  }

  /** Marks the room closed; idempotent. */
  close(): void {
    this.#closed = true;
  }

  /** Adds a member. The first member must be the host, and there is only ever one. */
  add(rawName: string, role: Role, now: number): AddResult {
    const name = normalizeName(rawName);
    if (name === null) return { ok: false, code: 'name-invalid' };
    if (this.#members.size >= this.maxMembers) return { ok: false, code: 'room-full' };
    const key = nameKey(name);
    for (const m of this.#members.values())
      if (nameKey(m.name) === key) return { ok: false, code: 'name-taken' };
    if (role === 'host' && this.#hostId !== '') throw new Error('room already has a host');
    if (role === 'listener' && this.#hostId === '') throw new Error('the host joins first');

    const token = randomBytes(24).toString('base64url');
    const member: MemberRecord = {
      peerId: newPeerId(),
      name,
      role,
      joinedAt: now,
      presence: 'online',
      tokenHash: hashToken(token),
      chatBucket: new TokenBucket(CHAT_BURST, CHAT_PER_SECOND, now),
    };
    this.#members.set(member.peerId, member);
    if (role === 'host') this.#hostId = member.peerId;
    this.#revision++;
    return { ok: true, member, token };
  }

  get(peerId: string): MemberRecord | undefined {
    return this.#members.get(peerId);
  }

  /** The member whose resume token this is, compared in constant time; undefined for any mismatch. */
  verify(peerId: string, token: string): MemberRecord | undefined {
    const member = this.#members.get(peerId);
    if (!member) return undefined;
    return timingSafeEqual(member.tokenHash, hashToken(token)) ? member : undefined;
  }

  remove(peerId: string): MemberRecord | undefined {
    const member = this.#members.get(peerId);
    if (member) this.#revision++;
    this.#members.delete(peerId);
    return member;
  }

  members(): MemberRecord[] {
    return [...this.#members.values()];
  }

  /** Normalises and records a chat line from a member, applying the member's chat rate. */
  chat(from: MemberRecord, rawText: string, now: number): ChatResult {
    const text = rawText
      .normalize('NFC')
      // Keep line breaks and tabs; drop other control and format characters (bidi overrides).
      .replace(INVISIBLE, (c) => (c === '\n' || c === '\t' ? c : ''))
      .replace(/\n{3,}/g, '\n\n')
      .trim();
    if (text.length === 0) return { ok: false, code: 'bad-message' };
    if ([...text].length > LIMITS.chatMaxLength) return { ok: false, code: 'bad-message' };
    if (!from.chatBucket.take(now)) {
      return { ok: false, code: 'rate-limited', retryAfterMs: from.chatBucket.waitMs(now) };
    }
    const message: ChatMessage = {
      id: this.#nextChatId++,
      from: from.peerId,
      name: from.name,
      text,
      at: now,
    };
    this.#chat.push(message);
    if (this.#chat.length > LIMITS.chatHistory) this.#chat.shift();
    this.#revision++;
    return { ok: true, message };
  }

  chatHistory(): ChatMessage[] {
    return [...this.#chat];
  }

  info(): RoomInfo {
    return { code: this.code, hostId: this.#hostId, createdAt: this.createdAt, maxMembers: this.maxMembers };
  }

  /** What survives a server restart: everything but presence, connections and rate buckets. */
  snapshot(): RoomSnapshot {
    return {
      code: this.code,
      createdAt: this.createdAt,
      maxMembers: this.maxMembers,
      hostId: this.#hostId,
      nextChatId: this.#nextChatId,
      chat: this.chatHistory(),
      members: this.members().map((m) => ({
        peerId: m.peerId,
        name: m.name,
        role: m.role,
        joinedAt: m.joinedAt,
        tokenHash: m.tokenHash.toString('base64'),
      })),
    };
  }

  /** A room as it was saved; every member is `reconnecting` until they resume. */
  static restore(s: RoomSnapshot, now: number): Room {
    const room = new Room(s.code, s.createdAt, s.maxMembers);
    room.#hostId = s.hostId;
    room.#nextChatId = s.nextChatId;
    room.#chat.push(...s.chat.slice(-LIMITS.chatHistory));
    for (const m of s.members) {
      room.#members.set(m.peerId, {
        peerId: m.peerId,
        name: m.name,
        role: m.role,
        joinedAt: m.joinedAt,
        presence: 'reconnecting',
        tokenHash: Buffer.from(m.tokenHash, 'base64'),
        chatBucket: new TokenBucket(CHAT_BURST, CHAT_PER_SECOND, now),
      });
    }
    return room;
  }

  static view(member: MemberRecord): Member {
    return {
      peerId: member.peerId,
      name: member.name,
      role: member.role,
      presence: member.presence,
      joinedAt: member.joinedAt,
    };
  }
}
