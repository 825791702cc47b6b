import { describe, expect, it } from 'vitest';
import { LIMITS } from '../protocol/index.js';
import { type MemberRecord, Room } from './Room.js';

const T0 = 1_700_000_000_000;

/** A member that must have been added; fails the test otherwise. */
function added(result: ReturnType<Room['add']>): { member: MemberRecord; token: string } {
  if (!result.ok) throw new Error(`expected the member to be added, got ${result.code}`);
  return result;
}

function roomWithHost(maxMembers = 4): { room: Room; host: MemberRecord; hostToken: string } {
  const room = new Room('K7Q4MZ', T0, maxMembers);
  const { member, token } = added(room.add('Sam', 'host', T0));
  return { room, host: member, hostToken: token };
}

describe('Room', () => {
  describe('admitting members', () => {
    it('makes the first member the host and records when they joined', () => {
      const room = new Room('K7Q4MZ', T0, 4);
      const { member, token } = added(room.add('Sam', 'host', T0 + 5));
      expect(member).toMatchObject({ name: 'Sam', role: 'host', presence: 'online', joinedAt: T0 + 5 });
      expect(room.hostId).toBe(member.peerId);
      expect(room.size).toBe(1);
      expect(token.length).toBeGreaterThanOrEqual(32);
    });

    it('admits listeners after the host, each with its own peer id and token', () => {
      const { room, host, hostToken } = roomWithHost();
      const pam = added(room.add('Pam', 'listener', T0));
      const kim = added(room.add('Kim', 'listener', T0));
      expect(pam.member.role).toBe('listener');
      expect(room.members().map((m) => m.name)).toEqual(['Sam', 'Pam', 'Kim']);
      expect(new Set([host.peerId, pam.member.peerId, kim.member.peerId]).size).toBe(3);
      expect(new Set([hostToken, pam.token, kim.token]).size).toBe(3);
      expect(room.hostId).toBe(host.peerId);
    });

    it('gives peer ids that fit the protocol limit', () => {
      const { host } = roomWithHost();
      expect(host.peerId.length).toBeLessThanOrEqual(LIMITS.peerIdMaxLength);
    });

    it('stores the name normalised', () => {
      const { room } = roomWithHost();
      expect(added(room.add('  Pam\u200b   Lee ', 'listener', T0)).member.name).toBe('Pam Lee');
    });

    it('refuses a listener before there is a host', () => {
      const room = new Room('K7Q4MZ', T0, 4);
      expect(() => room.add('Pam', 'listener', T0)).toThrow(/host joins first/);
    });

    it('refuses a second host', () => {
      const { room } = roomWithHost();
      expect(() => room.add('Pam', 'host', T0)).toThrow(/already has a host/);
    });

    it('answers name-invalid to an empty, blank or too long name', () => {
      const { room } = roomWithHost();
      expect(room.add('', 'listener', T0)).toEqual({ ok: false, code: 'name-invalid' });
      expect(room.add(' \u200b ', 'listener', T0)).toEqual({ ok: false, code: 'name-invalid' });
      expect(room.add('x'.repeat(LIMITS.nameMaxLength + 1), 'listener', T0)).toEqual({
        ok: false,
        code: 'name-invalid',
      });
      expect(room.size).toBe(1);
    });

    it('answers name-taken to a name already in the room, whatever its case', () => {
      const { room } = roomWithHost();
      expect(room.add('Sam', 'listener', T0)).toEqual({ ok: false, code: 'name-taken' });
      expect(room.add('sAM', 'listener', T0)).toEqual({ ok: false, code: 'name-taken' });
    });

    it('answers name-taken to a name that is the same after normalisation', () => {
      const { room } = roomWithHost();
      added(room.add('Zoë Ray', 'listener', T0));
      expect(room.add('  sam ', 'listener', T0)).toEqual({ ok: false, code: 'name-taken' });
      expect(room.add('S\u200bam', 'listener', T0)).toEqual({ ok: false, code: 'name-taken' });
      expect(room.add('\u202eSam', 'listener', T0)).toEqual({ ok: false, code: 'name-taken' });
      expect(room.add('zoe\u0308   RAY', 'listener', T0)).toEqual({ ok: false, code: 'name-taken' });
    });

    it('frees a name when its member leaves', () => {
      const { room } = roomWithHost();
      const pam = added(room.add('Pam', 'listener', T0));
      room.remove(pam.member.peerId);
      expect(room.add('Pam', 'listener', T0)).toMatchObject({ ok: true });
    });

    it('answers room-full once maxMembers, host included, are in', () => {
      const { room } = roomWithHost(3);
      added(room.add('Pam', 'listener', T0));
      added(room.add('Kim', 'listener', T0));
      expect(room.add('Lou', 'listener', T0)).toEqual({ ok: false, code: 'room-full' });
      expect(room.size).toBe(3);
    });

    it('has room again after a member leaves a full room', () => {
      const { room } = roomWithHost(2);
      const pam = added(room.add('Pam', 'listener', T0));
      expect(room.add('Kim', 'listener', T0)).toEqual({ ok: false, code: 'room-full' });
      room.remove(pam.member.peerId);
      expect(room.add('Kim', 'listener', T0)).toMatchObject({ ok: true });
    });
  });

  describe('resume tokens', () => {
    it('finds the member whose token it is', () => {
      const { room, host, hostToken } = roomWithHost();
      const pam = added(room.add('Pam', 'listener', T0));
      expect(room.verify(host.peerId, hostToken)).toBe(host);
      expect(room.verify(pam.member.peerId, pam.token)).toBe(pam.member);
    });

    it('finds nobody for a wrong token', () => {
      const { room, host, hostToken } = roomWithHost();
      expect(room.verify(host.peerId, `${hostToken}x`)).toBeUndefined();
      expect(room.verify(host.peerId, 'x')).toBeUndefined();
      expect(room.verify(host.peerId, '')).toBeUndefined();
    });

    it("finds nobody for another member's token", () => {
      const { room, host, hostToken } = roomWithHost();
      const pam = added(room.add('Pam', 'listener', T0));
      expect(room.verify(pam.member.peerId, hostToken)).toBeUndefined();
      expect(room.verify(host.peerId, pam.token)).toBeUndefined();
    });

    it('finds nobody for a peer id that is not in the room', () => {
      const { room, hostToken } = roomWithHost();
      expect(room.verify('pNobody', hostToken)).toBeUndefined();
    });

    it('keeps only a hash of the token', () => {
      const { host, hostToken } = roomWithHost();
      expect(host.tokenHash.toString('base64url')).not.toContain(hostToken);
      expect(JSON.stringify(host)).not.toContain(hostToken);
    });
  });

  describe('removing members', () => {
    it('removes a member and gives back who it was', () => {
      const { room } = roomWithHost();
      const pam = added(room.add('Pam', 'listener', T0));
      expect(room.remove(pam.member.peerId)).toBe(pam.member);
      expect(room.get(pam.member.peerId)).toBeUndefined();
      expect(room.size).toBe(1);
    });

    it('no longer accepts the token of a removed member', () => {
      const { room } = roomWithHost();
      const pam = added(room.add('Pam', 'listener', T0));
      room.remove(pam.member.peerId);
      expect(room.verify(pam.member.peerId, pam.token)).toBeUndefined();
    });

    it('gives back nothing for a peer id that is not there', () => {
      const { room } = roomWithHost();
      expect(room.remove('pNobody')).toBeUndefined();
      expect(room.size).toBe(1);
    });
  });

  describe('closing', () => {
    it('is open until closed, and closing twice is harmless', () => {
      const { room } = roomWithHost();
      expect(room.closed).toBe(false);
      room.close();
      room.close();
      expect(room.closed).toBe(true);
    });
  });

  describe('chat', () => {
    it('records a line with its author, time and an increasing id', () => {
      const { room, host } = roomWithHost();
      const first = room.chat(host, 'hello', T0 + 1);
      const second = room.chat(host, 'again', T0 + 2);
      expect(first).toEqual({
        ok: true,
        message: { id: 1, from: host.peerId, name: 'Sam', text: 'hello', at: T0 + 1 },
      });
      expect(second).toMatchObject({ ok: true, message: { id: 2, text: 'again' } });
    });

    it('trims the text', () => {
      const { room, host } = roomWithHost();
      expect(room.chat(host, '  \n hello \t ', T0)).toMatchObject({ ok: true, message: { text: 'hello' } });
    });

    it('drops bidi overrides and zero-width characters from chat', () => {
      const { room, host } = roomWithHost();
      const r = room.chat(host, 'a\u202eb\u200bc', T0);
      expect(r.ok && r.message.text).toBe('abc');
    });

    it('drops control characters but keeps line breaks and tabs inside the text', () => {
      const { room, host } = roomWithHost();
      expect(room.chat(host, 'a\u0000b\u0007c\r\nd\te\u001b', T0)).toMatchObject({
        ok: true,
        message: { text: 'abc\nd\te' },
      });
    });

    it('keeps at most one blank line in a row', () => {
      const { room, host } = roomWithHost();
      expect(room.chat(host, 'a\n\n\n\n\nb', T0)).toMatchObject({ ok: true, message: { text: 'a\n\nb' } });
    });

    it('answers bad-message to a line that is empty after normalisation', () => {
      const { room, host } = roomWithHost();
      expect(room.chat(host, '', T0)).toEqual({ ok: false, code: 'bad-message' });
      expect(room.chat(host, ' \n\t ', T0)).toEqual({ ok: false, code: 'bad-message' });
      expect(room.chat(host, '\u0000\u0007', T0)).toEqual({ ok: false, code: 'bad-message' });
      expect(room.chatHistory()).toEqual([]);
    });

    it(`accepts ${LIMITS.chatMaxLength} characters and answers bad-message to one more`, () => {
      const { room, host } = roomWithHost();
      expect(room.chat(host, 'x'.repeat(LIMITS.chatMaxLength), T0)).toMatchObject({ ok: true });
      expect(room.chat(host, 'x'.repeat(LIMITS.chatMaxLength + 1), T0)).toEqual({
        ok: false,
        code: 'bad-message',
      });
    });

    it('counts the chat length in code points, so emoji count once', () => {
      const { room, host } = roomWithHost();
      expect(room.chat(host, '🎵'.repeat(LIMITS.chatMaxLength), T0)).toMatchObject({ ok: true });
    });

    it('lets a member send a burst of 5 lines, then answers rate-limited with when to retry', () => {
      const { room, host } = roomWithHost();
      for (let i = 0; i < 5; i++) expect(room.chat(host, `line ${i}`, T0)).toMatchObject({ ok: true });
      expect(room.chat(host, 'one too many', T0)).toEqual({
        ok: false,
        code: 'rate-limited',
        retryAfterMs: 2000,
      });
    });

    it('lets a rate-limited member chat again once retryAfterMs has passed', () => {
      const { room, host } = roomWithHost();
      for (let i = 0; i < 5; i++) room.chat(host, `line ${i}`, T0);
      const refused = room.chat(host, 'wait', T0);
      if (refused.ok || refused.retryAfterMs === undefined) throw new Error('expected rate-limited');
      expect(room.chat(host, 'now', T0 + refused.retryAfterMs)).toMatchObject({ ok: true });
    });

    it('limits each member on their own', () => {
      const { room, host } = roomWithHost();
      const pam = added(room.add('Pam', 'listener', T0)).member;
      for (let i = 0; i < 5; i++) room.chat(host, `line ${i}`, T0);
      expect(room.chat(host, 'more', T0)).toMatchObject({ ok: false, code: 'rate-limited' });
      expect(room.chat(pam, 'hi', T0)).toMatchObject({ ok: true });
    });

    it('does not spend a chat token on a refused empty line', () => {
      const { room, host } = roomWithHost();
      for (let i = 0; i < 10; i++) room.chat(host, '   ', T0);
      expect(room.chat(host, 'still fine', T0)).toMatchObject({ ok: true });
    });

    it(`keeps the last ${LIMITS.chatHistory} lines as history, oldest first`, () => {
      const { room, host } = roomWithHost();
      const total = LIMITS.chatHistory + 10;
      for (let i = 1; i <= total; i++) {
        expect(room.chat(host, `line ${i}`, T0 + i * 2000)).toMatchObject({ ok: true });
      }
      const history = room.chatHistory();
      expect(history).toHaveLength(LIMITS.chatHistory);
      expect(history[0]?.text).toBe('line 11');
      expect(history.at(-1)?.text).toBe(`line ${total}`);
      expect(history.map((m) => m.id)).toEqual(Array.from({ length: LIMITS.chatHistory }, (_, i) => i + 11));
    });

    it('hands out a copy of the history that callers cannot change', () => {
      const { room, host } = roomWithHost();
      room.chat(host, 'hello', T0);
      room.chatHistory().pop();
      expect(room.chatHistory()).toHaveLength(1);
    });
  });

  describe('what is shown to clients', () => {
    it('describes the room by its code, host, start time and size', () => {
      const { room, host } = roomWithHost(5);
      expect(room.info()).toEqual({ code: 'K7Q4MZ', hostId: host.peerId, createdAt: T0, maxMembers: 5 });
    });

    it('shows a member without its token hash or chat bucket', () => {
      const { host, hostToken } = roomWithHost();
      const view = Room.view(host);
      expect(view).toEqual({
        peerId: host.peerId,
        name: 'Sam',
        role: 'host',
        presence: 'online',
        joinedAt: T0,
      });
      const json = JSON.stringify(view);
      expect(json).not.toContain('tokenHash');
      expect(json).not.toContain(host.tokenHash.toString('hex'));
      expect(json).not.toContain(host.tokenHash.toString('base64'));
      expect(json).not.toContain(hostToken);
    });

    it('shows the presence as it is now', () => {
      const { host } = roomWithHost();
      host.presence = 'reconnecting';
      expect(Room.view(host).presence).toBe('reconnecting');
    });

    it('leaves no secret in the room info', () => {
      const { room, host, hostToken } = roomWithHost();
      const json = JSON.stringify(room.info());
      expect(json).not.toContain(hostToken);
      expect(json).not.toContain(host.tokenHash.toString('hex'));
    });
  });

  describe('its revision, for saving only what changed', () => {
    /** Runs a step and says whether the snapshot and the revision moved. */
    function moved(room: Room, step: () => void): { snapshot: boolean; revision: boolean } {
      const snapshot = JSON.stringify(room.snapshot());
      const revision = room.revision;
      step();
      return { snapshot: JSON.stringify(room.snapshot()) !== snapshot, revision: room.revision !== revision };
    }

    it('goes up with every change the snapshot shows: a member in or out, a chat line', () => {
      const room = new Room('K7Q4MZ', T0, 4);
      let host: MemberRecord | undefined;
      let pam: MemberRecord | undefined;
      const yes = { snapshot: true, revision: true };
      expect(moved(room, () => (host = added(room.add('Sam', 'host', T0)).member))).toEqual(yes);
      expect(moved(room, () => (pam = added(room.add('Pam', 'listener', T0)).member))).toEqual(yes);
      expect(moved(room, () => room.chat(host as MemberRecord, 'hi', T0))).toEqual(yes);
      expect(moved(room, () => room.remove((pam as MemberRecord).peerId))).toEqual(yes);
    });

    it('stays put for what is not saved or was refused: presence, a taken name, an empty line, an unknown member', () => {
      const { room, host } = roomWithHost(2);
      added(room.add('Pam', 'listener', T0));
      const no = { snapshot: false, revision: false };
      expect(moved(room, () => (host.presence = 'reconnecting'))).toEqual(no);
      expect(moved(room, () => room.add('Kim', 'listener', T0))).toEqual(no); // room full
      expect(moved(room, () => room.chat(host, '   ', T0))).toEqual(no);
      expect(moved(room, () => room.remove('pnobody'))).toEqual(no);
      for (let i = 0; i < 5; i++) room.chat(host, `line ${i}`, T0);
      expect(moved(room, () => room.chat(host, 'one too many', T0))).toEqual(no); // rate-limited
    });

    it('starts from zero for a room brought back from a snapshot', () => {
      const { room, host } = roomWithHost();
      room.chat(host, 'hi', T0);
      expect(room.revision).toBeGreaterThan(0);
      expect(Room.restore(room.snapshot(), T0).revision).toBe(0);
    });
  });
});
