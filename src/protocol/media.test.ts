import { describe, expect, it } from 'vitest';
import {
  AUDIO_HEADER_BYTES,
  BITRATE_LADDER,
  decodeAudioFrame,
  decodeClockMessage,
  decodeNack,
  encodeAudioFrame,
  encodeClockProbe,
  encodeClockReply,
  encodeNack,
  FLAG_DISCONTINUITY,
  FLAG_RESENT,
  MAX_NACK_SEQS,
  parseHostControl,
  parseListenerControl,
  rungOf,
  withRung,
} from './media.js';

const frame = {
  flags: FLAG_DISCONTINUITY,
  streamId: 513,
  seq: 123_456,
  t: 1_795_650_000_123.456,
  samples: 480,
  epoch: 7,
  payload: new Uint8Array([1, 2, 3, 250]),
};

describe('audio frames', () => {
  it('survive the round trip exactly, stamp included', () => {
    const parsed = decodeAudioFrame(encodeAudioFrame(frame));
    expect(parsed.ok && { ...parsed.value, payload: [...parsed.value.payload] }).toEqual({
      ...frame,
      payload: [1, 2, 3, 250],
    });
  });

  it('carry their rung on the bitrate ladder beside the other flags', () => {
    for (const [rung] of BITRATE_LADDER.entries()) {
      const flags = withRung(FLAG_DISCONTINUITY | FLAG_RESENT, rung);
      const parsed = decodeAudioFrame(encodeAudioFrame({ ...frame, flags }));
      expect(parsed.ok && rungOf(parsed.value.flags)).toBe(rung);
      expect(parsed.ok && parsed.value.flags & (FLAG_DISCONTINUITY | FLAG_RESENT)).toBe(3);
    }
    // A rung past the ladder's end (from a newer or a broken host) is no rung.
    expect(rungOf(0x70)).toBe(-1);
  });

  it.each([
    ['an empty buffer', new ArrayBuffer(0)],
    ['a header without payload', new ArrayBuffer(AUDIO_HEADER_BYTES)],
    [
      'a frame of another kind',
      (() => {
        const b = encodeAudioFrame(frame);
        new DataView(b).setUint8(0, 9);
        return b;
      })(),
    ],
    [
      'a non-finite stamp',
      (() => {
        const b = encodeAudioFrame(frame);
        new DataView(b).setFloat64(8, Number.NaN, true);
        return b;
      })(),
    ],
    [
      'a negative stamp',
      (() => {
        const b = encodeAudioFrame(frame);
        new DataView(b).setFloat64(8, -5, true);
        return b;
      })(),
    ],
    [
      'zero samples',
      (() => {
        const b = encodeAudioFrame(frame);
        new DataView(b).setUint16(16, 0, true);
        return b;
      })(),
    ],
    ['an oversized payload', new ArrayBuffer(64 * 1024)],
  ])('reject %s', (_what, data) => {
    expect(decodeAudioFrame(data).ok).toBe(false);
  });

  it('never throw on random bytes', () => {
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(i % 80);
      for (let j = 0; j < bytes.length; j++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        bytes[j] = seed & 0xff;
      }
      expect(() => decodeAudioFrame(bytes.buffer)).not.toThrow();
      expect(() => decodeClockMessage(bytes.buffer)).not.toThrow();
    }
  });
});

describe('clock messages', () => {
  it('carry a probe and its reply', () => {
    expect(decodeClockMessage(encodeClockProbe(12.5))).toEqual({
      ok: true,
      value: { kind: 'probe', t0: 12.5 },
    });
    expect(decodeClockMessage(encodeClockReply(1, 2, 3))).toEqual({
      ok: true,
      value: { kind: 'reply', t0: 1, t1: 2, t2: 3 },
    });
  });

  it('reject truncated or padded messages', () => {
    expect(decodeClockMessage(encodeClockReply(1, 2, 3).slice(0, 24)).ok).toBe(false);
    expect(decodeClockMessage(new ArrayBuffer(20)).ok).toBe(false);
  });
});

describe('NACKs (a listener asks for lost frames again)', () => {
  it('carry a stream and the frames it lacks', () => {
    expect(decodeNack(encodeNack({ streamId: 70_000, seqs: [5, 4_000_000_000] }))).toEqual({
      ok: true,
      value: { streamId: 70_000 & 0xffff, seqs: [5, 4_000_000_000] },
    });
  });

  it('ask for at most MAX_NACK_SEQS frames at once', () => {
    const many = [...Array(200).keys()];
    const parsed = decodeNack(encodeNack({ streamId: 1, seqs: many }));
    expect(parsed.ok && parsed.value.seqs).toEqual(many.slice(0, MAX_NACK_SEQS));
  });

  it('reject anything else: empty, truncated, padded, or another kind', () => {
    const good = encodeNack({ streamId: 1, seqs: [1, 2] });
    expect(decodeNack(good.slice(0, 8)).ok).toBe(false);
    expect(decodeNack(new ArrayBuffer(4)).ok).toBe(false);
    const padded = new Uint8Array(16);
    padded.set(new Uint8Array(good));
    expect(decodeNack(padded.buffer).ok).toBe(false);
    expect(decodeNack(encodeClockProbe(1)).ok).toBe(false);
    expect(decodeNack(encodeAudioFrame(frame)).ok).toBe(false);
  });
});

describe('control messages', () => {
  const status = {
    syncErrorMs: 0.4,
    delayMs: 60,
    bufferMs: 40,
    clockUncertaintyMs: 0.6,
    rttMs: 1.1,
    lateFrames: 0,
    underrunMs: 0,
    inSync: true,
  };

  it('accept a listener report and a host session', () => {
    expect(
      parseListenerControl(JSON.stringify({ type: 'report', status, jitterMs: 2, lossRate: 0, needMs: 45 }))
        .ok,
    ).toBe(true);
    expect(
      parseHostControl(JSON.stringify({ type: 'session', delayMs: 60, mode: 'live', streamId: 3 })).ok,
    ).toBe(true);
  });

  it.each([
    ['not JSON', '{'],
    ['an unknown type', '{"type":"become-host"}'],
    [
      'a need out of range',
      JSON.stringify({ type: 'report', status, jitterMs: 2, lossRate: 0, needMs: 1e9 }),
    ],
    ['a loss rate above 1', JSON.stringify({ type: 'report', status, jitterMs: 2, lossRate: 3, needMs: 40 })],
  ])('reject %s from a listener', (_what, text) => {
    expect(parseListenerControl(text).ok).toBe(false);
  });
});
