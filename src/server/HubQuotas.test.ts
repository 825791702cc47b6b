import { describe, expect, it } from 'vitest';
import type { ServerMessage } from '../protocol/index.js';
import { type Clock, Hub, type HubOptions, type Session } from './Hub.js';
import { createLogger } from './logger.js';

const OPTIONS: HubOptions = {
  maxRooms: 100,
  maxMembers: 4,
  hostGraceMs: 60_000,
  listenerGraceMs: 30_000,
  joinBurst: 3,
  joinLeakMs: 10_000,
  stunUrls: [],
  turnUrls: [],
  turnSecret: undefined,
  turnTtlSeconds: 3600,
  roomIdleMs: 6 * 3600_000,
};

/** Time moves only when the test says; these tests need no timers to fire. */
function world(options: Partial<HubOptions> = {}) {
  let now = 1_700_000_000_000;
  const clock: Clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} };
  const lines: string[] = [];
  const hub = new Hub(
    { ...OPTIONS, ...options },
    clock,
    createLogger('debug', (l) => lines.push(l)),
  );
  let id = 1;
  const connect = (address = '192.0.2.1') => {
    const inbox: ServerMessage[] = [];
    const session: Session = { id: id++, address, send: (m) => inbox.push(m) };
    hub.connect(session);
    return { session, inbox, last: () => inbox[inbox.length - 1] as ServerMessage };
  };
  return { hub, lines, connect, advance: (ms: number) => (now += ms) };
}

describe('Hub room codes and the log', () => {
  it('never writes a room code to the log, at any level', () => {
    const w = world();
    const host = w.connect();
    w.hub.handle(host.session, { type: 'create-room', name: 'Sam' });
    const joined = host.last();
    if (joined.type !== 'joined') throw new Error(`expected joined, got ${joined.type}`);
    const code = joined.room.code;
    const ana = w.connect('192.0.2.2');
    w.hub.handle(ana.session, { type: 'join-room', code: 'ZZZZZZ', name: 'Ana' });
    w.hub.handle(ana.session, { type: 'join-room', code, name: 'Ana' });
    w.hub.disconnect(ana.session);
    w.hub.handle(host.session, { type: 'close-room' });
    expect(w.lines.map((l) => JSON.parse(l).msg)).toEqual(
      expect.arrayContaining(['room created', 'member dropped', 'room closed']),
    );
    expect(w.lines.filter((l) => l.includes(code))).toEqual([]);
  });
});

describe('Hub idle rooms', () => {
  it('ends a room with no listener and no activity for roomIdleMs, and only that one', () => {
    const w = world({ roomIdleMs: 1000 });
    const lonely = w.connect('192.0.2.1');
    w.hub.handle(lonely.session, { type: 'create-room', name: 'Solo' });
    const busy = w.connect('192.0.2.2');
    w.hub.handle(busy.session, { type: 'create-room', name: 'Busy' });
    const code = (busy.last() as ServerMessage & { type: 'joined' }).room.code;
    const chatty = w.connect('192.0.2.3');
    w.hub.handle(chatty.session, { type: 'create-room', name: 'Chatty' });
    const ana = w.connect('192.0.2.4');
    w.hub.handle(ana.session, { type: 'join-room', code, name: 'Ana' });
    w.advance(600);
    w.hub.handle(chatty.session, { type: 'chat', text: 'anyone?' });
    w.advance(400);
    w.hub.endIdleRooms();
    expect(lonely.last()).toMatchObject({ type: 'room-closed', reason: 'idle' });
    expect(busy.last().type).not.toBe('room-closed');
    expect(chatty.last().type).toBe('chat');
    expect(w.hub.roomCount).toBe(2);
    w.advance(600);
    w.hub.endIdleRooms();
    expect(chatty.last()).toMatchObject({ type: 'room-closed', reason: 'idle' });
    expect(w.hub.roomCount).toBe(1);
  });
});

describe('Hub rooms per address', () => {
  it('counts the rooms an address hosts and frees a place when one closes', () => {
    const w = world({ maxRoomsPerAddress: 1 });
    const a = w.connect('198.51.100.1');
    const b = w.connect('198.51.100.1');
    w.hub.handle(a.session, { type: 'create-room', name: 'A' });
    w.hub.handle(b.session, { type: 'create-room', name: 'B' });
    expect(b.last()).toMatchObject({ type: 'error', code: 'rate-limited' });
    const other = w.connect('198.51.100.2');
    w.hub.handle(other.session, { type: 'create-room', name: 'C' });
    expect(other.last().type).toBe('joined');
    w.hub.handle(a.session, { type: 'leave-room' });
    w.hub.handle(b.session, { type: 'create-room', name: 'B' });
    expect(b.last().type).toBe('joined');
  });
});
