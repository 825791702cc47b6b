import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { Room } from './Room.js';
import { MAX_SNAPSHOT_AGE_MS, RoomStore } from './RoomStore.js';

const log = createLogger('silent');
const dir = () => mkdtempSync(path.join(tmpdir(), 'jamsesh-store-'));

function sampleRoom(): Room {
  const room = new Room('ABC123', 1000, 10);
  const host = room.add('Hana', 'host', 1000);
  if (!host.ok) throw new Error('no host');
  room.add('Ana', 'listener', 1100);
  room.chat(host.member, 'hello', 1200);
  return room;
}

describe('RoomStore', () => {
  it('saves rooms and reads them back as they were, every member reconnecting', () => {
    const d = dir();
    const store = new RoomStore(d, log, () => 5000);
    const room = sampleRoom();
    expect(store.save([room.snapshot()])).toBe(true);
    const [back] = new RoomStore(d, log, () => 6000).load();
    expect(back).toEqual(room.snapshot());
    const restored = Room.restore(back as ReturnType<Room['snapshot']>, 6000);
    expect(restored.members().map((m) => [m.name, m.role, m.presence])).toEqual([
      ['Hana', 'host', 'reconnecting'],
      ['Ana', 'listener', 'reconnecting'],
    ]);
    expect(restored.chatHistory().map((m) => m.text)).toEqual(['hello']);
    expect(statSync(store.file).mode & 0o777).toBe(0o600);
  });

  it('writes only when something changed', () => {
    const store = new RoomStore(dir(), log);
    const snap = [sampleRoom().snapshot()];
    expect(store.save(snap)).toBe(true);
    expect(store.save(snap)).toBe(false);
    expect(store.save([])).toBe(true);
  });

  it('starts empty without a file, and forgets rooms saved too long ago', () => {
    expect(new RoomStore(dir(), log).load()).toEqual([]);
    const d = dir();
    new RoomStore(d, log, () => 0).save([sampleRoom().snapshot()]);
    expect(new RoomStore(d, log, () => MAX_SNAPSHOT_AGE_MS + 1).load()).toEqual([]);
  });

  it('sets aside a file that is not valid instead of trusting it', () => {
    const d = dir();
    const store = new RoomStore(d, log, () => 0);
    store.save([sampleRoom().snapshot()]);
    const saved = JSON.parse(readFileSync(store.file, 'utf8'));
    // A second host, an invalid name, a garbled hash, or plain garbage: each refused.
    const tampered = [
      () => {
        saved.rooms[0].members[1].role = 'host';
      },
      () => {
        saved.rooms[0].members[1].name = '  Ana\u202e';
      },
      () => {
        saved.rooms[0].members[0].tokenHash = 'abc';
      },
    ];
    for (const change of tampered) {
      const copy = structuredClone(saved);
      Object.assign(saved, copy);
      change();
      writeFileSync(store.file, JSON.stringify(saved));
      expect(new RoomStore(d, log, () => 0).load()).toEqual([]);
      expect(statSync(`${store.file}.invalid`).isFile()).toBe(true);
      Object.assign(saved, structuredClone(copy));
    }
    writeFileSync(store.file, '{not json');
    expect(new RoomStore(d, log, () => 0).load()).toEqual([]);
  });
});
