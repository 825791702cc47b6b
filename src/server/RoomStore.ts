import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import {
  ChatMessage,
  LIMITS,
  normalizeName,
  normalizeRoomCode,
  PeerId,
  ROOM_CODE_LENGTH,
  Role,
} from '../protocol/index.js';
import type { Logger } from './logger.js';
import type { RoomSnapshot } from './Room.js';

/** Saved rooms older than this are not brought back: nobody is waiting for them any more. */
export const MAX_SNAPSHOT_AGE_MS = 60 * 60_000;

const SavedMember = z.object({
  peerId: PeerId,
  name: z.string().refine((n) => normalizeName(n) === n, 'not a valid name'),
  role: Role,
  joinedAt: z.number().finite(),
  // sha256 of the resume token, base64: 44 characters.
  tokenHash: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
});

const SavedRoom = z
  .object({
    code: z
      .string()
      .length(ROOM_CODE_LENGTH)
      .refine((c) => normalizeRoomCode(c) === c, 'not a room code'),
    createdAt: z.number().finite(),
    maxMembers: z.number().int().positive(),
    hostId: PeerId,
    nextChatId: z.number().int().positive(),
    chat: z.array(ChatMessage).max(LIMITS.chatHistory),
    members: z.array(SavedMember).min(1),
  })
  .refine(
    (r) => {
      const hosts = r.members.filter((m) => m.role === 'host');
      return hosts.length === 1 && hosts[0]?.peerId === r.hostId;
    },
    { message: 'exactly one host, the one the room names' },
  );

const SavedRooms = z.object({
  version: z.literal(1),
  savedAt: z.number().finite(),
  rooms: z.array(SavedRoom),
});

/**
 * The rooms on disk, so that a restarted server brings them back and its clients resume their
 * places (they reconnect by themselves). One JSON file in the data folder, readable by this user
 * only, written whole to a temporary file and renamed over the old one, so a crash mid-write leaves
 * the previous version. It holds names, chat and sha256 hashes of resume tokens, never a token.
 * Everything read back is validated; a file that does not parse is set aside and the server starts
 * empty. One process owns the file: several servers behind a balancer would need a shared store
 * (docs/deploy.md).
 */
export class RoomStore {
  readonly file: string;
  #last = '';

  constructor(
    dataDir: string,
    readonly log: Logger,
    readonly now: () => number = Date.now,
  ) {
    this.file = path.join(dataDir, 'rooms.json');
  }

  /** The saved rooms, or none (no file, too old, or not valid: said in the log). */
  load(): RoomSnapshot[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    let parsed: z.infer<typeof SavedRooms>;
    try {
      parsed = SavedRooms.parse(JSON.parse(text));
    } catch (err) {
      const aside = `${this.file}.invalid`;
      try {
        renameSync(this.file, aside);
      } catch {}
      this.log.warn('saved rooms not valid; starting without them', { file: aside, err: String(err) });
      return [];
    }
    this.#last = JSON.stringify(parsed.rooms);
    const age = this.now() - parsed.savedAt;
    if (age > MAX_SNAPSHOT_AGE_MS) {
      this.log.info('saved rooms too old to bring back', { ageMinutes: Math.round(age / 60_000) });
      return [];
    }
    return parsed.rooms;
  }

  /** Writes the rooms if they changed since the last write. Returns whether it wrote. */
  save(rooms: RoomSnapshot[]): boolean {
    const body = JSON.stringify(rooms);
    if (body === this.#last) return false;
    const text = `{"version":1,"savedAt":${this.now()},"rooms":${body}}`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, this.file);
      this.#last = body;
      return true;
    } catch (err) {
      this.log.error('could not save rooms', { file: this.file, err: String(err) });
      return false;
    }
  }
}
