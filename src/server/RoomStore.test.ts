import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS, ROOM_CODE_ALPHABET, ROOM_CODE_LENGTH } from '../protocol/index.js';
import { createLogger } from './logger.js';
import { type MemberRecord, Room } from './Room.js';
import { ALIVE_EVERY_MS, MAX_SNAPSHOT_AGE_MS, RoomStore, type StoreFs } from './RoomStore.js';

const log = createLogger('silent');
const dir = () => mkdtempSync(path.join(tmpdir(), 'jamsesh-store-'));

function sampleRoom(code = 'ABC123'): { room: Room; host: MemberRecord } {
  const room = new Room(code, 1000, 10);
  const host = room.add('Hana', 'host', 1000);
  if (!host.ok) throw new Error('no host');
  room.add('Ana', 'listener', 1100);
  room.chat(host.member, 'hello', 1200);
  return { room, host: host.member };
}

/** A room whose chat history is full of the longest lines, with members enough to have said them. */
function fullRoom(i: number): Room {
  const code = [...i.toString(32).padStart(ROOM_CODE_LENGTH, '0')]
    .map((d) => ROOM_CODE_ALPHABET[Number.parseInt(d, 32)])
    .join('');
  const room = new Room(code, 1000, 16);
  const people: MemberRecord[] = [];
  for (let m = 0; m < 10; m++) {
    const added = room.add(`Person ${m}`, m === 0 ? 'host' : 'listener', 1000);
    if (!added.ok) throw new Error(added.code);
    people.push(added.member);
  }
  for (let n = 0; n < LIMITS.chatHistory; n++) {
    const said = room.chat(people[n % 10] as MemberRecord, 'x'.repeat(LIMITS.chatMaxLength), 2000);
    if (!said.ok) throw new Error(said.code);
  }
  return room;
}

/** The room files in the folder, by the code written inside them, with their inode (a new one per write). */
function onDisk(store: RoomStore): Map<string, { file: string; ino: number }> {
  const found = new Map<string, { file: string; ino: number }>();
  for (const name of readdirSync(store.dir)) {
    if (!name.endsWith('.json') || name === 'alive.json') continue;
    const file = path.join(store.dir, name);
    const { room } = JSON.parse(readFileSync(file, 'utf8'));
    found.set(room.code, { file, ino: statSync(file).ino });
  }
  return found;
}

/** The real filesystem, with every call that puts bytes on disk written down in order. */
function watchedFs(): { fs: StoreFs; calls: string[] } {
  const calls: string[] = [];
  const name = (p: unknown) => path.basename(String(p));
  const fs: StoreFs = {
    open: (async (file: string, flags: string, mode?: number) => {
      const handle = await fsp.open(file, flags, mode);
      return new Proxy(handle, {
        get(target, prop) {
          const value = Reflect.get(target, prop);
          if (prop === 'sync') {
            return () => {
              calls.push(`fsync ${name(file)}`);
              return target.sync();
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    }) as StoreFs['open'],
    rename: async (from, to) => {
      calls.push(`rename ${name(from)} ${name(to)}`);
      return fsp.rename(from, to);
    },
    unlink: async (file) => {
      calls.push(`unlink ${name(file)}`);
      return fsp.unlink(file);
    },
  };
  return { fs, calls };
}

describe('RoomStore', () => {
  it('saves rooms and reads them back as they were, every member reconnecting', async () => {
    const d = dir();
    const store = new RoomStore(d, log, () => 5000);
    const { room } = sampleRoom();
    expect(await store.save(() => [room])).toMatchObject({ written: 1, failed: 0 });
    const [back] = new RoomStore(d, log, () => 6000).load();
    expect(back).toEqual(room.snapshot());
    const restored = Room.restore(back as ReturnType<Room['snapshot']>, 6000);
    expect(restored.members().map((m) => [m.name, m.role, m.presence])).toEqual([
      ['Hana', 'host', 'reconnecting'],
      ['Ana', 'listener', 'reconnecting'],
    ]);
    expect(restored.chatHistory().map((m) => m.text)).toEqual(['hello']);
  });

  it('keeps a file per room, readable by the server user only, named so that it does not give the code away', async () => {
    const d = dir();
    const store = new RoomStore(d, log);
    const { room, host } = sampleRoom('ABC123');
    await store.save(() => [room, sampleRoom('XYZ789').room]);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    const files = onDisk(store);
    expect([...files.keys()].sort()).toEqual(['ABC123', 'XYZ789']);
    for (const { file } of files.values()) {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(path.basename(file)).not.toMatch(/ABC123|XYZ789/i);
      expect(readFileSync(file, 'utf8')).not.toContain(host.tokenHash.toString('hex'));
    }
    expect(readFileSync(files.get('ABC123')?.file as string, 'utf8')).toContain(
      host.tokenHash.toString('base64'),
    );
  });

  it('writes only the rooms that changed since the last save', async () => {
    const store = new RoomStore(dir(), log);
    const a = sampleRoom('AAAAAA');
    const b = sampleRoom('BBBBBB');
    const c = sampleRoom('CCCCCC');
    const rooms = [a.room, b.room, c.room];
    expect(await store.save(() => rooms)).toEqual({ written: 3, removed: 0, failed: 0 });
    const before = onDisk(store);
    expect(await store.save(() => rooms)).toEqual({ written: 0, removed: 0, failed: 0 });

    b.room.chat(b.host, 'one more line', 3000);
    b.host.presence = 'reconnecting'; // not saved: no write for it
    c.host.presence = 'reconnecting';
    expect(await store.save(() => rooms)).toEqual({ written: 1, removed: 0, failed: 0 });
    const after = onDisk(store);
    expect(after.get('AAAAAA')).toEqual(before.get('AAAAAA'));
    expect(after.get('CCCCCC')).toEqual(before.get('CCCCCC'));
    // Same file name, new contents (a new inode: written whole and renamed over the old).
    expect(after.get('BBBBBB')?.file).toBe(before.get('BBBBBB')?.file);
    expect(after.get('BBBBBB')?.ino).not.toBe(before.get('BBBBBB')?.ino);
  });

  it("removes a room's file when the room is closed or no longer there", async () => {
    const store = new RoomStore(dir(), log);
    const a = sampleRoom('AAAAAA');
    const b = sampleRoom('BBBBBB');
    const c = sampleRoom('CCCCCC');
    await store.save(() => [a.room, b.room, c.room]);
    a.room.close();
    expect(await store.save(() => [a.room, b.room])).toEqual({ written: 0, removed: 2, failed: 0 });
    expect([...onDisk(store).keys()]).toEqual(['BBBBBB']);
    expect(new RoomStore(store.dataDir, log).load().map((r) => r.code)).toEqual(['BBBBBB']);
  });

  it('runs one save at a time: a save asked for during another starts after it, from what it wrote', async () => {
    const store = new RoomStore(dir(), log);
    const rooms = Array.from({ length: 50 }, (_, i) => fullRoom(i));
    const first = store.save(() => rooms);
    expect(store.saving).toBe(true);
    const second = store.save(() => rooms);
    expect(await Promise.all([first, second])).toEqual([
      { written: 50, removed: 0, failed: 0 },
      { written: 0, removed: 0, failed: 0 },
    ]);
    expect(store.saving).toBe(false);
  });

  it('fsyncs each file before renaming it over the old one, and the folder after the renames', async () => {
    const { fs, calls } = watchedFs();
    const store = new RoomStore(dir(), log, Date.now, { fs });
    const { room, host } = sampleRoom();
    await store.save(() => [room]);
    const name = path.basename(onDisk(store).get('ABC123')?.file as string);
    /** Each file's own calls in order, and the folder's fsync after every rename. */
    const order = () => {
      const of = (f: string) =>
        calls.filter((c) => c.startsWith(`fsync ${f}`) || c.startsWith(`rename ${f}`));
      const lastRename = calls.findLastIndex((c) => c.startsWith('rename'));
      return {
        room: of(name),
        alive: of('alive.json'),
        dirSyncLast: calls.lastIndexOf('fsync rooms') > lastRename,
      };
    };
    expect(order()).toEqual({
      room: [`fsync ${name}.tmp`, `rename ${name}.tmp ${name}`],
      alive: ['fsync alive.json.tmp', 'rename alive.json.tmp alive.json'],
      dirSyncLast: true,
    });
    calls.length = 0;
    room.chat(host, 'again', 1300);
    await store.save(() => [room]);
    expect(calls).toEqual([`fsync ${name}.tmp`, `rename ${name}.tmp ${name}`, 'fsync rooms']);
  });

  it('survives a crash mid-write: the half-written temporary file is ignored and cleared, the last whole version loads', async () => {
    const d = dir();
    const store = new RoomStore(d, log);
    const { room } = sampleRoom();
    await store.save(() => [room]);
    const { file } = onDisk(store).get('ABC123') as { file: string };
    writeFileSync(`${file}.tmp`, '{"version":2,"savedAt":1,"room":{"code":"ABC1');
    writeFileSync(path.join(store.dir, 'f00dfeedf00dfeedf00dfeed.json.tmp'), '');
    expect(new RoomStore(d, log).load()).toEqual([room.snapshot()]);
    expect(readdirSync(store.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('sets aside a file that is not valid instead of trusting it, and still brings back the others', async () => {
    const d = dir();
    const store = new RoomStore(d, log, () => 0);
    const good = sampleRoom('GREATT').room;
    await store.save(() => [sampleRoom('ABC123').room, good]);
    const { file } = onDisk(store).get('ABC123') as { file: string };
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    // A second host, an invalid name, a garbled hash, a bad code, or plain garbage: each refused.
    const tampered: ((s: typeof saved) => void)[] = [
      (s) => {
        s.room.members[1].role = 'host';
      },
      (s) => {
        s.room.members[1].name = '  Ana\u202e';
      },
      (s) => {
        s.room.members[0].tokenHash = 'abc';
      },
      (s) => {
        s.room.code = 'abc12';
      },
    ];
    const texts = [
      ...tampered.map((change) => {
        const copy = structuredClone(saved);
        change(copy);
        return JSON.stringify(copy);
      }),
      '{not json',
    ];
    for (const text of texts) {
      writeFileSync(file, text);
      expect(new RoomStore(d, log, () => 0).load()).toEqual([good.snapshot()]);
      expect(readFileSync(`${file}.invalid`, 'utf8')).toBe(text);
    }
  });

  it('starts empty without saved rooms, and forgets rooms whose server stopped too long ago', async () => {
    expect(new RoomStore(dir(), log).load()).toEqual([]);
    const d = dir();
    await new RoomStore(d, log, () => 0).flush(() => [sampleRoom().room]);
    expect(new RoomStore(d, log, () => MAX_SNAPSHOT_AGE_MS).load()).toHaveLength(1);
    expect(new RoomStore(d, log, () => MAX_SNAPSHOT_AGE_MS + 1).load()).toEqual([]);
  });

  it('brings back a room nobody touched for hours while its server ran: the server said every minute it was up', async () => {
    const d = dir();
    let now = 0;
    const store = new RoomStore(d, log, () => now);
    const { room } = sampleRoom();
    await store.save(() => [room]);
    for (now = 0; now <= 3 * MAX_SNAPSHOT_AGE_MS; now += 1000) {
      const result = await store.save(() => [room]);
      expect(result.written).toBe(0);
    }
    const stopped = now;
    expect(new RoomStore(d, log, () => stopped + MAX_SNAPSHOT_AGE_MS - ALIVE_EVERY_MS).load()).toEqual([
      room.snapshot(),
    ]);
  });

  it('does not write a restored room again until it changes', async () => {
    const d = dir();
    await new RoomStore(d, log).save(() => [sampleRoom('AAAAAA').room, sampleRoom('BBBBBB').room]);
    const store = new RoomStore(d, log);
    const restored = store.load().map((s) => Room.restore(s, 2000));
    const a = restored.find((r) => r.code === 'AAAAAA') as Room;
    const b = restored.find((r) => r.code === 'BBBBBB') as Room;
    const before = onDisk(store);
    expect(await store.save(() => [a, b])).toMatchObject({ written: 0, removed: 0 });
    const host = b.get(b.hostId) as MemberRecord;
    b.chat(host, 'back again', 3000);
    expect(await store.save(() => [a, b])).toMatchObject({ written: 1, removed: 0 });
    expect(onDisk(store).get('AAAAAA')).toEqual(before.get('AAAAAA'));
    expect(
      new RoomStore(d, log)
        .load()
        .find((r) => r.code === 'BBBBBB')
        ?.chat.map((m) => m.text),
    ).toEqual(['hello', 'back again']);
  });

  it("reads an earlier version's single rooms.json once: its rooms get files of their own and it goes", async () => {
    const d = dir();
    mkdirSync(d, { recursive: true });
    const { room } = sampleRoom();
    const legacy = { version: 1, savedAt: 5000, rooms: [room.snapshot()] };
    writeFileSync(path.join(d, 'rooms.json'), JSON.stringify(legacy), { mode: 0o600 });
    const store = new RoomStore(d, log, () => 6000);
    const [back] = store.load();
    expect(back).toEqual(room.snapshot());
    expect(await store.save(() => [Room.restore(back as ReturnType<Room['snapshot']>, 6000)])).toMatchObject({
      written: 1,
      failed: 0,
    });
    expect(readdirSync(d)).not.toContain('rooms.json');
    expect([...onDisk(store).keys()]).toEqual(['ABC123']);
    expect(new RoomStore(d, log, () => 7000).load()).toEqual([room.snapshot()]);
  });

  it('tries a failed write again at the next save, and keeps the old version meanwhile', async () => {
    const { fs } = watchedFs();
    let failRename = false;
    const flaky: StoreFs = {
      ...fs,
      rename: async (from, to) => {
        if (failRename) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        return fs.rename(from, to);
      },
    };
    const d = dir();
    const store = new RoomStore(d, log, Date.now, { fs: flaky });
    const { room, host } = sampleRoom();
    await store.save(() => [room]);
    room.chat(host, 'lost?', 1300);
    failRename = true;
    expect(await store.save(() => [room])).toMatchObject({ written: 0, failed: 1 });
    expect(new RoomStore(d, log).load()[0]?.chat.map((m) => m.text)).toEqual(['hello']);
    failRename = false;
    expect(await store.save(() => [room])).toMatchObject({ written: 1, failed: 0 });
    expect(new RoomStore(d, log).load()[0]?.chat.map((m) => m.text)).toEqual(['hello', 'lost?']);
  });

  it('round-trips 1,000 rooms with full chat history, letting the event loop turn while it serializes', async () => {
    const d = dir();
    const store = new RoomStore(d, log);
    const rooms = Array.from({ length: 1000 }, (_, i) => fullRoom(i));
    expect(new Set(rooms.map((r) => r.code)).size).toBe(1000);
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await store.save(() => rooms);
    ticking = false;
    expect(result).toEqual({ written: 1000, removed: 0, failed: 0 });
    // ~30 MB of JSON in 2 ms slices: the loop turns hundreds of times, not once.
    expect(turns).toBeGreaterThan(100);
    const back = new RoomStore(d, log).load();
    expect(back).toHaveLength(1000);
    const byCode = new Map(back.map((s) => [s.code, s]));
    for (const room of rooms) expect(byCode.get(room.code)).toEqual(room.snapshot());
    expect(back[0]?.chat).toHaveLength(LIMITS.chatHistory);
  }, 60_000);
});
