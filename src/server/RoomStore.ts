import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
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
/** While the server runs it says so on disk this often, so an idle room is not taken for a stale one. */
export const ALIVE_EVERY_MS = 60_000;
/** A room file larger than this is not one we wrote (16 members and 50 full lines are ~150 kB). */
const MAX_ROOM_FILE_BYTES = 1024 * 1024;

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

/** One room's file in DATA_DIR/rooms/. */
const SavedRoomFile = z.object({ version: z.literal(2), savedAt: z.number().finite(), room: SavedRoom });
/** DATA_DIR/rooms/alive.json: when the server last said its rooms were open. */
const AliveFile = z.object({ version: z.literal(2), savedAt: z.number().finite() });
/** The single DATA_DIR/rooms.json of earlier versions, read once and then removed. */
const LegacyRooms = z.object({
  version: z.literal(1),
  savedAt: z.number().finite(),
  rooms: z.array(SavedRoom),
});

/** What the store needs of a room (Room is one): a revision that moves whenever its snapshot would. */
export interface StoredRoom {
  readonly code: string;
  readonly revision: number;
  readonly closed: boolean;
  snapshot(): RoomSnapshot;
}

/** What one save did; `failed` writes and removals are tried again by the next save. */
export interface SaveResult {
  written: number;
  removed: number;
  failed: number;
}

/** The calls that put bytes on disk, injectable so a test can watch their order (fsync before rename). */
export type StoreFs = Pick<typeof fsp, 'open' | 'rename' | 'unlink'>;

export interface RoomStoreOptions {
  /** Files written at once. */
  concurrency?: number;
  /** Serialization work done in one turn of the event loop before yielding to it (ms). */
  sliceMs?: number;
  fs?: StoreFs;
}

interface Written {
  readonly file: string;
  /** The live room whose `revision` is on disk; undefined for a file read at start and not yet claimed. */
  room: StoredRoom | undefined;
  revision: number;
}

const ALIVE = 'alive.json';
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The rooms on disk, so that a restarted server brings them back and its clients resume their
 * places (they reconnect by themselves). A file per room in DATA_DIR/rooms/ (folder 0700, files
 * 0600), named at random, not after the code, since a code lets anyone in. A save writes only the
 * rooms whose revision moved and removes the files of rooms that ended; each file is written to a
 * temporary one, fsynced, renamed over the old one, then the folder is fsynced, so a crash leaves
 * either version whole. Saves are asynchronous and one at a time, and serialize in slices of a few
 * ms between which the event loop runs, so signaling never waits long for one. Files hold names,
 * chat and sha256 hashes of resume tokens, never a token; everything read back is validated, and
 * a file that fails is set aside. One process owns the folder: several servers behind a balancer
 * would need a shared store (docs/deploy.md).
 */
export class RoomStore {
  /** DATA_DIR/rooms: one file per room, and alive.json. */
  readonly dir: string;
  /** DATA_DIR/rooms.json, where earlier versions kept every room in one file. */
  readonly legacyFile: string;
  readonly #written = new Map<string, Written>();
  readonly #concurrency: number;
  readonly #sliceMs: number;
  readonly #fs: StoreFs;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #aliveAt = Number.NEGATIVE_INFINITY;
  #legacyToRemove = false;
  #dirChecked = false;

  constructor(
    readonly dataDir: string,
    readonly log: Logger,
    readonly now: () => number = Date.now,
    options: RoomStoreOptions = {},
  ) {
    this.dir = path.join(dataDir, 'rooms');
    this.legacyFile = path.join(dataDir, 'rooms.json');
    this.#concurrency = options.concurrency ?? 8;
    this.#sliceMs = options.sliceMs ?? 2;
    this.#fs = options.fs ?? fsp;
  }

  /** A save is running or waiting to. */
  get saving(): boolean {
    return this.#pending > 0;
  }

  /**
   * The saved rooms that are recent enough to bring back (at start, before anything else runs).
   * Files that are not valid are set aside as `*.invalid`, leftovers of a cut-short write removed.
   */
  load(): RoomSnapshot[] {
    const found = new Map<string, { file: string | undefined; savedAt: number; room: RoomSnapshot }>();
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {}
    const alive = this.#read(path.join(this.dir, ALIVE), AliveFile);
    for (const name of names.sort()) {
      const file = path.join(this.dir, name);
      if (name.endsWith('.tmp')) {
        // A write cut short by a crash; the file it was to replace is still whole.
        this.#unlinkQuietly(file);
        continue;
      }
      if (name === ALIVE || !name.endsWith('.json')) continue;
      const saved = this.#read(file, SavedRoomFile);
      if (!saved) continue;
      const entry = { file, ...saved };
      const other = found.get(saved.room.code);
      if (other) {
        // Two files for one room are never written by one process: keep the newer.
        const older = other.savedAt >= saved.savedAt ? entry : other;
        if (older.file !== undefined) this.#unlinkQuietly(older.file);
        if (older === entry) continue;
      }
      found.set(saved.room.code, entry);
    }
    const legacy = this.#read(this.legacyFile, LegacyRooms, Number.POSITIVE_INFINITY);
    if (legacy) {
      this.#legacyToRemove = true;
      for (const room of legacy.rooms)
        if (!found.has(room.code)) found.set(room.code, { file: undefined, savedAt: legacy.savedAt, room });
    }

    const rooms: RoomSnapshot[] = [];
    let old = 0;
    for (const { file, savedAt, room } of found.values()) {
      // Files read here are as their rooms will be restored; the first save claims them unwritten.
      if (file !== undefined) this.#written.set(room.code, { file, room: undefined, revision: 0 });
      const age = this.now() - Math.max(savedAt, alive?.savedAt ?? Number.NEGATIVE_INFINITY);
      if (age > MAX_SNAPSHOT_AGE_MS) old++;
      else rooms.push(room);
    }
    if (old > 0) this.log.info('saved rooms too old to bring back', { rooms: old });
    return rooms;
  }

  /**
   * Writes the rooms that changed since they were last written and removes the files of rooms no
   * longer among `rooms()` (read when this save starts, after any running one). Never rejects.
   */
  save(rooms: () => Iterable<StoredRoom>): Promise<SaveResult> {
    return this.#enqueue(rooms, false);
  }

  /** A save that also records that the rooms were open until now: for shutdown. */
  flush(rooms: () => Iterable<StoredRoom>): Promise<SaveResult> {
    return this.#enqueue(rooms, true);
  }

  #enqueue(rooms: () => Iterable<StoredRoom>, final: boolean): Promise<SaveResult> {
    this.#pending++;
    const run = this.#queue.then(() => this.#cycle(rooms(), final));
    this.#queue = run;
    return run.finally(() => this.#pending--);
  }

  async #cycle(rooms: Iterable<StoredRoom>, final: boolean): Promise<SaveResult> {
    const result: SaveResult = { written: 0, removed: 0, failed: 0 };
    const errors: unknown[] = [];
    const live = new Map<string, StoredRoom>();
    for (const room of rooms) if (!room.closed) live.set(room.code, room);
    const changed: StoredRoom[] = [];
    for (const room of live.values()) {
      const written = this.#written.get(room.code);
      if (written && written.room === undefined && room.revision === 0) {
        // Restored from this very file and not changed since.
        written.room = room;
        continue;
      }
      if (written?.room === room && written.revision === room.revision) continue;
      changed.push(room);
    }
    const gone = [...this.#written].filter(([code]) => !live.has(code));
    const aliveDue = final || this.now() - this.#aliveAt >= ALIVE_EVERY_MS;
    if (changed.length === 0 && gone.length === 0 && !aliveDue && !this.#legacyToRemove) return result;

    try {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
      // The folder may predate this version, made with the umask's mode.
      if (!this.#dirChecked) await fsp.chmod(this.dir, 0o700);
      this.#dirChecked = true;
    } catch (err) {
      this.log.error('could not save rooms', { dir: this.dir, err: String(err) });
      return { ...result, failed: changed.length + gone.length };
    }

    // A bounded pool of writes, fed by serialization in slices between turns of the event loop.
    const inflight = new Set<Promise<void>>();
    let turnStart = performance.now();
    const start = async (job: Promise<void>) => {
      const tracked = job.then(() => {
        inflight.delete(tracked);
      });
      inflight.add(tracked);
      if (inflight.size >= this.#concurrency) {
        await Promise.race(inflight);
        turnStart = performance.now();
      }
    };
    const failed = (err: unknown) => {
      result.failed++;
      errors.push(err);
    };

    for (const [code, written] of gone) {
      await start(
        this.#fs.unlink(written.file).then(
          () => {
            this.#written.delete(code);
            result.removed++;
          },
          (err: NodeJS.ErrnoException) => {
            if (err.code !== 'ENOENT') return failed(err);
            this.#written.delete(code);
            result.removed++;
          },
        ),
      );
    }
    for (const room of changed) {
      if (performance.now() - turnStart >= this.#sliceMs) {
        await nextTurn();
        turnStart = performance.now();
      }
      if (room.closed) continue;
      const revision = room.revision;
      const text = JSON.stringify({ version: 2, savedAt: this.now(), room: room.snapshot() });
      const file =
        this.#written.get(room.code)?.file ?? path.join(this.dir, `${randomBytes(12).toString('hex')}.json`);
      await start(
        this.#writeFile(file, text).then(() => {
          this.#written.set(room.code, { file, room, revision });
          result.written++;
        }, failed),
      );
    }
    if (aliveDue) {
      const at = this.now();
      await start(
        this.#writeFile(path.join(this.dir, ALIVE), JSON.stringify({ version: 2, savedAt: at })).then(() => {
          this.#aliveAt = at;
        }, failed),
      );
    }
    await Promise.all(inflight);
    // The renames and removals are durable once the folder itself is synced.
    await this.#syncDir(this.dir).catch(failed);
    if (this.#legacyToRemove && result.failed === 0) {
      await this.#fs
        .unlink(this.legacyFile)
        .then(() => this.#syncDir(this.dataDir))
        .then(
          () => {
            this.#legacyToRemove = false;
          },
          (err: NodeJS.ErrnoException) => {
            if (err.code === 'ENOENT') this.#legacyToRemove = false;
            else failed(err);
          },
        );
    }
    if (errors.length > 0) {
      this.log.error('could not save rooms', {
        dir: this.dir,
        failed: result.failed,
        err: String(errors[0]),
      });
    }
    return result;
  }

  /** Temporary file, written and fsynced, renamed over the old one: the old or the new, never half. */
  async #writeFile(file: string, text: string): Promise<void> {
    const tmp = `${file}.tmp`;
    const handle = await this.#fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => {});
      await this.#fs.unlink(tmp).catch(() => {});
      throw err;
    }
    await handle.close();
    await this.#fs.rename(tmp, file);
  }

  async #syncDir(dir: string): Promise<void> {
    const handle = await this.#fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** The file parsed by `schema`; undefined if it is missing, or set aside as `.invalid` if it fails. */
  #read<T>(file: string, schema: z.ZodType<T>, maxBytes = MAX_ROOM_FILE_BYTES): T | undefined {
    let text: string;
    try {
      if (statSync(file).size > maxBytes) throw new Error('too large');
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return this.#setAside(file, err);
    }
    try {
      return schema.parse(JSON.parse(text));
    } catch (err) {
      return this.#setAside(file, err);
    }
  }

  #setAside(file: string, err: unknown): undefined {
    const aside = `${file}.invalid`;
    try {
      renameSync(file, aside);
    } catch {}
    this.log.warn('saved room not valid; set aside', { file: aside, err: String(err).slice(0, 200) });
    return undefined;
  }

  #unlinkQuietly(file: string): void {
    try {
      unlinkSync(file);
    } catch {}
  }
}
