import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../protocol/index.js';
import { ANA, BEN, CODE, CREATED_AT, chatLine, HOST, joined, member } from '../testing/fakes.js';
import {
  CHAT_KEEP,
  hostOf,
  isHost,
  membersInOrder,
  type RoomState,
  reduceRoom,
  selfOf,
} from './roomState.js';

function inRoomAs(self = ANA, members = [HOST, self]): RoomState {
  return reduceRoom(null, joined(self, members)) as RoomState;
}

describe('reduceRoom', () => {
  it('"joined" gives the whole room: info, self, members, chat and ICE servers', () => {
    const state = reduceRoom(
      null,
      joined(ANA, [HOST, ANA], {
        chat: [chatLine(1, HOST, 'hi').message],
        iceServers: [{ urls: ['stun:x'] }],
      }),
    );
    expect(state).toEqual({
      room: { code: CODE, hostId: HOST.peerId, createdAt: CREATED_AT, maxMembers: 16 },
      self: { peerId: ANA.peerId, role: 'listener', token: `token-${ANA.peerId}` },
      members: [HOST, ANA],
      chat: [chatLine(1, HOST, 'hi').message],
      iceServers: [{ urls: ['stun:x'] }],
    });
  });

  it('"joined" after a resume replaces the old picture instead of merging into it', () => {
    const before = reduceRoom(inRoomAs(ANA, [HOST, ANA, BEN]), chatLine(1, BEN, 'old'));
    const after = reduceRoom(before, joined(ANA, [HOST, ANA], { resumed: true }));
    expect(after?.members).toEqual([HOST, ANA]);
    expect(after?.chat).toEqual([]);
  });

  it('ignores room updates while not in a room', () => {
    expect(reduceRoom(null, { type: 'member-joined', member: BEN })).toBeNull();
    expect(reduceRoom(null, chatLine(1, BEN, 'hi'))).toBeNull();
  });

  it('"member-joined" adds the member', () => {
    const state = reduceRoom(inRoomAs(), { type: 'member-joined', member: BEN });
    expect(state?.members.map((m) => m.name)).toEqual(['Hana', 'Ana', 'Ben']);
  });

  it('"member-joined" for someone already listed replaces them instead of listing them twice', () => {
    const state = reduceRoom(inRoomAs(), {
      type: 'member-joined',
      member: { ...ANA, presence: 'reconnecting' },
    });
    expect(state?.members).toHaveLength(2);
    expect(selfOf(state as RoomState)?.presence).toBe('reconnecting');
  });

  it('"member-updated" changes that member\'s presence', () => {
    const state = reduceRoom(inRoomAs(), {
      type: 'member-updated',
      member: { ...HOST, presence: 'reconnecting' },
    });
    expect(hostOf(state as RoomState)?.presence).toBe('reconnecting');
    expect(selfOf(state as RoomState)?.presence).toBe('online');
  });

  it('"member-left" removes the member, whatever the reason', () => {
    let state = reduceRoom(inRoomAs(ANA, [HOST, ANA, BEN]), {
      type: 'member-left',
      peerId: BEN.peerId,
      reason: 'kicked',
    });
    expect(state?.members.map((m) => m.name)).toEqual(['Hana', 'Ana']);
    state = reduceRoom(state, { type: 'member-left', peerId: ANA.peerId, reason: 'timeout' });
    expect(state?.members.map((m) => m.name)).toEqual(['Hana']);
  });

  it('"member-left" for someone not listed changes nothing (same object)', () => {
    const state = inRoomAs();
    expect(reduceRoom(state, { type: 'member-left', peerId: 'pNobody', reason: 'left' })).toBe(state);
  });

  it('"chat" appends the line at the end, newest last', () => {
    let state = reduceRoom(inRoomAs(), chatLine(1, HOST, 'first'));
    state = reduceRoom(state, chatLine(2, ANA, 'second'));
    expect(state?.chat.map((c) => c.text)).toEqual(['first', 'second']);
  });

  it('"chat" with an id already shown is not shown twice', () => {
    const state = reduceRoom(inRoomAs(), chatLine(1, HOST, 'first'));
    expect(reduceRoom(state, chatLine(1, HOST, 'first'))).toBe(state);
  });

  it(`keeps the newest ${CHAT_KEEP} chat lines, more than the server's replay of ${LIMITS.chatHistory}`, () => {
    let state: RoomState | null = inRoomAs();
    for (let id = 1; id <= CHAT_KEEP + 5; id++) state = reduceRoom(state, chatLine(id, HOST, `line ${id}`));
    expect(state?.chat).toHaveLength(CHAT_KEEP);
    expect(state?.chat[0]?.id).toBe(6);
  });

  it('"ice-servers" replaces the ICE servers with the fresh ones and keeps everything else', () => {
    const state = reduceRoom(
      null,
      joined(ANA, [HOST, ANA], { iceServers: [{ urls: ['turn:t'], username: '1:a' }] }),
    );
    const fresh = [{ urls: ['turn:t'], username: '2:a', credential: 'c2' }];
    const next = reduceRoom(state, { type: 'ice-servers', iceServers: fresh });
    expect(next).toEqual({ ...state, iceServers: fresh });
  });

  it('"room-closed" marks the room ended with its reason and keeps what was on screen', () => {
    const state = reduceRoom(inRoomAs(), { type: 'room-closed', code: CODE, reason: 'host-timeout' });
    expect(state?.ended).toBe('host-timeout');
    expect(state?.members).toHaveLength(2);
  });

  it('"room-closed" for another room code changes nothing', () => {
    const state = inRoomAs();
    expect(reduceRoom(state, { type: 'room-closed', code: 'ZZZZZZ', reason: 'kicked' })).toBe(state);
  });

  it('an ended room takes no more updates', () => {
    const ended = reduceRoom(inRoomAs(), { type: 'room-closed', code: CODE, reason: 'kicked' });
    expect(reduceRoom(ended, { type: 'member-joined', member: BEN })).toBe(ended);
    expect(reduceRoom(ended, chatLine(9, HOST, 'late'))).toBe(ended);
    expect(reduceRoom(ended, { type: 'ice-servers', iceServers: [] })).toBe(ended);
  });

  it('messages that are not about the room return the same state object', () => {
    const state = inRoomAs();
    expect(reduceRoom(state, { type: 'pong', t: 1, serverTime: 2 })).toBe(state);
    expect(reduceRoom(state, { type: 'error', code: 'rate-limited', message: 'x' })).toBe(state);
  });

  it('never changes the state it was given', () => {
    const state = inRoomAs();
    const snapshot = structuredClone(state);
    reduceRoom(state, { type: 'member-joined', member: BEN });
    reduceRoom(state, { type: 'member-updated', member: { ...HOST, presence: 'reconnecting' } });
    reduceRoom(state, chatLine(1, HOST, 'x'));
    reduceRoom(state, { type: 'room-closed', code: CODE, reason: 'host-closed' });
    expect(state).toEqual(snapshot);
  });
});

describe('room selectors', () => {
  it('membersInOrder lists the host first, then people in the order they arrived', () => {
    const late = member('pZed', 'Zed', { joinedAt: ANA.joinedAt - 500 });
    const state = inRoomAs(ANA, [BEN, ANA, late, HOST]);
    expect(membersInOrder(state).map((m) => m.name)).toEqual(['Hana', 'Zed', 'Ana', 'Ben']);
  });

  it('isHost is true only for the host', () => {
    expect(isHost(inRoomAs(HOST, [HOST]))).toBe(true);
    expect(isHost(inRoomAs(ANA))).toBe(false);
  });
});
