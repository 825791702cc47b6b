import { describe, expect, it } from 'vitest';
import { ANA, HOST, joined } from '../testing/fakes.js';
import type { AppState } from './JamClient.js';
import { type RoomState, reduceRoom } from './roomState.js';
import { CANNOT_REACH, CONNECTION_LOST, HOST_AWAY, statusText } from './status.js';

const base: AppState = {
  connection: 'open',
  refusal: null,
  connectedOnce: true,
  room: null,
  live: false,
  restoring: false,
  ended: null,
  pending: null,
  error: null,
  rejectedChat: null,
  landingCode: '',
  name: '',
};

const listenerRoom = (hostPresence: 'online' | 'reconnecting') =>
  reduceRoom(null, joined(ANA, [{ ...HOST, presence: hostPresence }, ANA])) as RoomState;

describe('statusText', () => {
  it('says what to open instead when the server refused this page', () => {
    const refused = {
      ...base,
      connection: 'refused' as const,
      refusal: 'open https://192.168.1.20:8443 instead',
    };
    expect(statusText(refused)).toBe(
      'The server will not connect this page: open https://192.168.1.20:8443 instead.',
    );
  });

  it('says nothing while an idle connection waits for the next request', () => {
    expect(statusText({ ...base, connection: 'idle' })).toBeNull();
  });

  it('says nothing when all is well', () => {
    expect(statusText(base)).toBeNull();
    expect(statusText({ ...base, room: listenerRoom('online'), live: true })).toBeNull();
  });

  it('says nothing while the very first connection is being made', () => {
    expect(statusText({ ...base, connection: 'connecting', connectedOnce: false })).toBeNull();
  });

  it('says the connection is lost while reconnecting, on any page', () => {
    expect(statusText({ ...base, connection: 'reconnecting' })).toBe(CONNECTION_LOST);
    expect(statusText({ ...base, connection: 'reconnecting', room: listenerRoom('online') })).toBe(
      CONNECTION_LOST,
    );
    expect(CONNECTION_LOST).toBe('Connection lost - reconnecting...');
  });

  it('says the server cannot be reached when it never answered', () => {
    expect(statusText({ ...base, connection: 'reconnecting', connectedOnce: false })).toBe(CANNOT_REACH);
  });

  it('still says reconnecting when the socket is back but our place is not yet', () => {
    expect(statusText({ ...base, room: listenerRoom('online'), live: false })).toBe(CONNECTION_LOST);
  });

  it("tells a listener when the host's connection dropped", () => {
    expect(statusText({ ...base, room: listenerRoom('reconnecting'), live: true })).toBe(HOST_AWAY);
    expect(HOST_AWAY).toBe("The host's connection dropped - waiting for them to come back...");
  });

  it('puts our own lost connection before the host being away', () => {
    expect(statusText({ ...base, connection: 'reconnecting', room: listenerRoom('reconnecting') })).toBe(
      CONNECTION_LOST,
    );
  });

  it('says nothing on the ended screen', () => {
    const ended = { reason: 'host-closed' as const, wasHost: false, code: 'K7Q4MZ' };
    expect(statusText({ ...base, connection: 'reconnecting', ended })).toBeNull();
  });
});
