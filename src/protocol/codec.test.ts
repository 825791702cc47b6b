import { describe, expect, it } from 'vitest';
import { encodeMessage, parseClientMessage, parseServerMessage } from './codec.js';
import { LIMITS } from './limits.js';
import {
  CLIENT_MESSAGE_TYPES,
  type ClientMessage,
  type ServerMessage,
  type SignalPayload,
} from './messages.js';

/** Parses an object as a client frame. */
function parse(message: unknown) {
  return parseClientMessage(JSON.stringify(message));
}

/** The error a frame gets, failing the test if it parses. */
function errorOf(frame: string) {
  const result = parseClientMessage(frame);
  if (result.ok) throw new Error(`expected an error for ${frame.slice(0, 80)}`);
  return result;
}

/** A ping frame padded with an ignored field to exactly `bytes` bytes of UTF-8, using `unit` as padding. */
function paddedPing(bytes: number, unit = 'x'): string {
  const head = '{"type":"ping","t":1,"pad":"';
  const tail = '"}';
  const unitBytes = Buffer.byteLength(unit);
  const room = bytes - head.length - tail.length;
  const pad = unit.repeat(Math.floor(room / unitBytes)) + 'x'.repeat(room % unitBytes);
  const frame = head + pad + tail;
  expect(Buffer.byteLength(frame)).toBe(bytes);
  return frame;
}

const offer: SignalPayload = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } };

const validClientMessages: Record<ClientMessage['type'], ClientMessage> = {
  'create-room': { type: 'create-room', requestId: 'r1', name: 'Sam' },
  'join-room': { type: 'join-room', requestId: 'r2', code: 'k7q 4mz', name: 'Pam' },
  resume: { type: 'resume', requestId: 'r3', code: 'K7Q4MZ', peerId: 'pAbc', token: 'tok' },
  'leave-room': { type: 'leave-room', requestId: 'r4' },
  kick: { type: 'kick', requestId: 'r5', peerId: 'pAbc' },
  'close-room': { type: 'close-room' },
  chat: { type: 'chat', requestId: 'r6', text: 'hello' },
  signal: { type: 'signal', to: 'pAbc', payload: offer },
  ping: { type: 'ping', t: 12.5 },
};

describe('parseClientMessage', () => {
  describe('valid messages', () => {
    it('has an example for every client message type', () => {
      expect(Object.keys(validClientMessages).sort()).toEqual([...CLIENT_MESSAGE_TYPES].sort());
    });

    it.each(Object.values(validClientMessages))(
      'accepts a well-formed $type message as it was sent',
      (message) => {
        expect(parse(message)).toEqual({ ok: true, message });
      },
    );

    it('drops fields the schema does not know', () => {
      expect(parse({ type: 'ping', t: 1, extra: 'ignored' })).toEqual({
        ok: true,
        message: { type: 'ping', t: 1 },
      });
    });

    it('leaves a requestId out when the client sent none', () => {
      expect(parse({ type: 'create-room', name: 'Sam' })).toEqual({
        ok: true,
        message: { type: 'create-room', name: 'Sam' },
      });
    });
  });

  describe('frames that are not a message object', () => {
    it('answers bad-message to a frame that is not JSON', () => {
      expect(errorOf('{"type":"ping",').code).toBe('bad-message');
      expect(errorOf('').code).toBe('bad-message');
      expect(errorOf('hello').code).toBe('bad-message');
    });

    it.each([
      ['an array', '[{"type":"ping","t":1}]'],
      ['a number', '42'],
      ['null', 'null'],
      ['a string', '"ping"'],
      ['a boolean', 'true'],
    ])('answers bad-message to JSON that is %s', (_what, frame) => {
      const error = errorOf(frame);
      expect(error.code).toBe('bad-message');
      expect(error.requestId).toBeUndefined();
    });

    it('answers bad-message to an object without a type', () => {
      expect(errorOf('{"t":1}').code).toBe('bad-message');
      expect(errorOf('{"type":7}').code).toBe('bad-message');
    });

    it('echoes the requestId of an object without a type', () => {
      expect(errorOf('{"requestId":"r9"}')).toMatchObject({ code: 'bad-message', requestId: 'r9' });
    });
  });

  describe('unknown types', () => {
    it('answers unknown-type to a type the server does not know', () => {
      expect(parse({ type: 'play', at: 0 })).toMatchObject({ ok: false, code: 'unknown-type' });
    });

    it('echoes the requestId with unknown-type so the client can match the answer', () => {
      expect(parse({ type: 'play', requestId: 'r7' })).toMatchObject({
        ok: false,
        code: 'unknown-type',
        requestId: 'r7',
      });
    });

    it('leaves the requestId out of unknown-type when there was none', () => {
      const error = errorOf('{"type":"play"}');
      expect(error.requestId).toBeUndefined();
    });

    it('does not echo a requestId that is not a string, is empty, or is too long to send back', () => {
      expect(errorOf(JSON.stringify({ type: 'play', requestId: 7 })).requestId).toBeUndefined();
      expect(errorOf(JSON.stringify({ type: 'play', requestId: '' })).requestId).toBeUndefined();
      const long = 'r'.repeat(LIMITS.requestIdMaxLength + 1);
      expect(errorOf(JSON.stringify({ type: 'play', requestId: long })).requestId).toBeUndefined();
    });

    it('quotes at most 40 characters of an unknown type in the message', () => {
      const error = errorOf(JSON.stringify({ type: 'z'.repeat(1000) }));
      expect(error.message.length).toBeLessThan(80);
    });
  });

  describe('fields that are missing, mistyped or too large', () => {
    it.each([
      ['create-room without a name', { type: 'create-room' }],
      ['join-room without a code', { type: 'join-room', name: 'Pam' }],
      ['join-room without a name', { type: 'join-room', code: 'K7Q4MZ' }],
      ['resume without a token', { type: 'resume', code: 'K7Q4MZ', peerId: 'pAbc' }],
      ['resume without a peerId', { type: 'resume', code: 'K7Q4MZ', token: 'tok' }],
      ['kick without a peerId', { type: 'kick' }],
      ['chat without text', { type: 'chat' }],
      ['signal without a target', { type: 'signal', payload: offer }],
      ['signal without a payload', { type: 'signal', to: 'pAbc' }],
      ['ping without a time', { type: 'ping' }],
      ['ping with a string time', { type: 'ping', t: '1' }],
      ['chat with a number as text', { type: 'chat', text: 5 }],
      ['kick with an empty peerId', { type: 'kick', peerId: '' }],
      ['resume with an empty token', { type: 'resume', code: 'K7Q4MZ', peerId: 'pAbc', token: '' }],
    ])('answers bad-message to %s', (_what, message) => {
      expect(parse(message)).toMatchObject({ ok: false, code: 'bad-message' });
    });

    it.each([
      ['a name', { type: 'create-room', name: 'n'.repeat(LIMITS.nameMaxLength * 4 + 1) }],
      ['a code', { type: 'join-room', code: 'K'.repeat(33), name: 'Pam' }],
      ['a chat line', { type: 'chat', text: 't'.repeat(LIMITS.chatMaxLength * 4 + 1) }],
      ['a peerId', { type: 'kick', peerId: 'p'.repeat(LIMITS.peerIdMaxLength + 1) }],
      [
        'a token',
        { type: 'resume', code: 'K7Q4MZ', peerId: 'pAbc', token: 't'.repeat(LIMITS.tokenMaxLength + 1) },
      ],
      ['a requestId', { type: 'leave-room', requestId: 'r'.repeat(LIMITS.requestIdMaxLength + 1) }],
    ])('answers bad-message to %s over its limit', (_what, message) => {
      expect(parse(message)).toMatchObject({ ok: false, code: 'bad-message' });
    });

    it('names the offending field in the message', () => {
      expect(errorOf(JSON.stringify({ type: 'join-room', name: 'Pam' })).message).toContain('code');
    });

    it('echoes the requestId with bad-message', () => {
      expect(parse({ type: 'join-room', requestId: 'r8', name: 'Pam' })).toMatchObject({
        ok: false,
        code: 'bad-message',
        requestId: 'r8',
      });
    });
  });

  describe('frame size', () => {
    it(`accepts a frame of exactly ${LIMITS.maxMessageBytes} bytes`, () => {
      expect(parseClientMessage(paddedPing(LIMITS.maxMessageBytes))).toMatchObject({ ok: true });
    });

    it('answers message-too-large to a frame one byte over the limit', () => {
      expect(errorOf(paddedPing(LIMITS.maxMessageBytes + 1)).code).toBe('message-too-large');
    });

    it('counts UTF-8 bytes, not UTF-16 units: multibyte text over the limit in bytes is too large', () => {
      const frame = paddedPing(LIMITS.maxMessageBytes + 1, '€');
      expect(frame.length).toBeLessThan(LIMITS.maxMessageBytes);
      expect(errorOf(frame).code).toBe('message-too-large');
    });

    it('counts emoji outside the BMP as four bytes each', () => {
      const frame = paddedPing(LIMITS.maxMessageBytes + 1, '🎸');
      expect(frame.length).toBeLessThan(LIMITS.maxMessageBytes);
      expect(errorOf(frame).code).toBe('message-too-large');
    });

    it('accepts multibyte text that stays within the limit in bytes', () => {
      const frame = paddedPing(LIMITS.maxMessageBytes, '€');
      expect(parseClientMessage(frame)).toMatchObject({ ok: true });
    });

    it('checks the size before parsing, so a huge frame is never parsed', () => {
      const frame = `[${'1,'.repeat(LIMITS.maxMessageBytes)}1]`;
      expect(errorOf(frame).code).toBe('message-too-large');
    });

    it('does not echo a requestId from a frame that was too large to read', () => {
      const frame = JSON.stringify({
        type: 'chat',
        requestId: 'r1',
        text: 'x'.repeat(LIMITS.maxMessageBytes),
      });
      const error = errorOf(frame);
      expect(error.code).toBe('message-too-large');
      expect(error.requestId).toBeUndefined();
    });
  });

  describe('signal payloads', () => {
    const signal = (payload: unknown) => parse({ type: 'signal', to: 'pAbc', payload });

    it.each(['offer', 'answer', 'pranswer', 'rollback'])('accepts a %s description', (type) => {
      expect(signal({ kind: 'description', description: { type, sdp: 'v=0' } })).toMatchObject({ ok: true });
    });

    it('accepts an ICE candidate with all its fields', () => {
      const payload = {
        kind: 'candidate',
        candidate: {
          candidate: 'candidate:1 1 udp 2122260223 192.168.1.20 54400 typ host',
          sdpMid: '0',
          sdpMLineIndex: 0,
          usernameFragment: 'abcd',
        },
      };
      expect(signal(payload)).toEqual({ ok: true, message: { type: 'signal', to: 'pAbc', payload } });
    });

    it('accepts an ICE candidate whose optional fields are null or absent', () => {
      const withNulls = { candidate: '', sdpMid: null, sdpMLineIndex: null, usernameFragment: null };
      expect(signal({ kind: 'candidate', candidate: withNulls })).toMatchObject({ ok: true });
      expect(signal({ kind: 'candidate', candidate: { candidate: '' } })).toMatchObject({ ok: true });
    });

    it('accepts a null candidate, which marks the end of gathering', () => {
      expect(signal({ kind: 'candidate', candidate: null })).toMatchObject({ ok: true });
    });

    it.each([
      ['an unknown kind', { kind: 'track', track: 1 }],
      ['no kind', { description: { type: 'offer', sdp: 'v=0' } }],
      ['an unknown description type', { kind: 'description', description: { type: 'bogus', sdp: 'v=0' } }],
      ['a description without sdp', { kind: 'description', description: { type: 'offer' } }],
      [
        'an SDP over its limit',
        { kind: 'description', description: { type: 'offer', sdp: 's'.repeat(LIMITS.sdpMaxLength + 1) } },
      ],
      ['a missing candidate', { kind: 'candidate' }],
      [
        'a candidate line over its limit',
        { kind: 'candidate', candidate: { candidate: 'c'.repeat(LIMITS.candidateMaxLength + 1) } },
      ],
      ['a negative m-line index', { kind: 'candidate', candidate: { candidate: '', sdpMLineIndex: -1 } }],
      ['a fractional m-line index', { kind: 'candidate', candidate: { candidate: '', sdpMLineIndex: 0.5 } }],
      ['a string payload', 'v=0'],
    ])('answers bad-message to a payload with %s', (_what, payload) => {
      expect(signal(payload)).toMatchObject({ ok: false, code: 'bad-message' });
    });
  });
});

describe('parseServerMessage', () => {
  const member = { peerId: 'pHost', name: 'Sam', role: 'host', presence: 'online', joinedAt: 1000 } as const;
  const chat = { id: 1, from: 'pHost', name: 'Sam', text: 'hi', at: 1001 };
  const serverMessages: ServerMessage[] = [
    { type: 'welcome', protocol: 1, serverTime: 1000 },
    { type: 'welcome', protocol: 1, serverTime: 1000, secureUrl: 'https://jam.example.org' },
    {
      type: 'joined',
      requestId: 'r1',
      room: { code: 'K7Q4MZ', hostId: 'pHost', createdAt: 1000, maxMembers: 16 },
      self: { peerId: 'pHost', role: 'host', token: 'tok' },
      members: [member],
      chat: [chat],
      iceServers: [
        { urls: ['stun:stun.example.org'] },
        { urls: ['turn:turn.example.org'], username: '1:pHost', credential: 'c' },
      ],
      serverTime: 1002,
      resumed: false,
    },
    {
      type: 'ice-servers',
      iceServers: [{ urls: ['turn:turn.example.org'], username: '2:pHost', credential: 'd' }],
    },
    { type: 'member-joined', member: { ...member, peerId: 'pL', role: 'listener' } },
    { type: 'member-updated', member: { ...member, presence: 'reconnecting' } },
    { type: 'member-left', peerId: 'pL', reason: 'kicked' },
    { type: 'chat', message: chat },
    { type: 'signal', from: 'pHost', payload: offer },
    { type: 'signal', from: 'pHost', payload: { kind: 'candidate', candidate: null } },
    { type: 'room-closed', code: 'K7Q4MZ', reason: 'host-timeout' },
    { type: 'left', requestId: 'r2' },
    { type: 'pong', t: 5, serverTime: 1003 },
    { type: 'error', code: 'too-many-attempts', message: 'slow down', requestId: 'r3', retryAfterMs: 30_000 },
  ];

  it.each(serverMessages)('reads back an encoded $type message unchanged', (message) => {
    expect(parseServerMessage(encodeMessage(message))).toEqual({ ok: true, message });
  });

  it('reads back an encoded client message unchanged', () => {
    for (const message of Object.values(validClientMessages)) {
      expect(parseClientMessage(encodeMessage(message))).toEqual({ ok: true, message });
    }
  });

  it('refuses a server message that breaks its schema', () => {
    expect(parseServerMessage('{"type":"member-left","peerId":"pL","reason":"vanished"}')).toMatchObject({
      ok: false,
      code: 'bad-message',
    });
    expect(parseServerMessage('{"type":"error","code":"no-such-code","message":""}')).toMatchObject({
      ok: false,
      code: 'bad-message',
    });
    expect(parseServerMessage('{"type":"ice-servers","iceServers":[{"urls":"turn:t"}]}')).toMatchObject({
      ok: false,
      code: 'bad-message',
    });
  });
});
