/**
 * The media protocol between the host and each listener, over one WebRTC peer connection:
 *
 * - `audio` data channel (unordered, no retransmits): binary audio frames, see `encodeAudioFrame`;
 *   the other way, a listener's NACKs (`encodeNack`), answered by resending frames in time to play.
 * - `clock` data channel (unordered, no retransmits): binary clock probes and replies.
 * - `control` data channel (reliable, ordered): JSON `HostControl` / `ListenerControl` messages.
 *
 * Unreliable channels for audio and clock because a late frame is worse than a lost one: SCTP would
 * hold every later frame behind a retransmission and retry on its own timers, long after the frame's
 * time. The listener asks for a lost frame itself, only while a resend can still play (FrameOrder).
 * A retransmitted clock probe would only measure the retransmission. docs/sync.md describes the timeline these stamps live on.
 */
// This part has no dependencies, so the audio worklets can import it without pulling in zod.

export const AUDIO_CHANNEL = 'audio';
export const CLOCK_CHANNEL = 'clock';
export const CONTROL_CHANNEL = 'control';

export const MEDIA_SAMPLE_RATE = 48_000;
export const MEDIA_CHANNELS = 2;
/** 10 ms frames: half Opus's default 20 ms, for lower latency at ~3 kbps more overhead. */
export const FRAME_SAMPLES = 480;
export const FRAME_MS = (FRAME_SAMPLES / MEDIA_SAMPLE_RATE) * 1000;
/**
 * Opus's encoder lookahead at 48 kHz (2.5 ms + 4 ms): decoded packet n holds the input samples from
 * n * FRAME_SAMPLES - 312 on (measured here with WebCodecs: a click at input sample 100 decodes at
 * 412). Receivers place decoded audio that much earlier, so that a sample leaves every speaker at
 * exactly its stamp + D.
 */
export const OPUS_DELAY_SAMPLES = 312;
export const OPUS_DELAY_MS = (OPUS_DELAY_SAMPLES / MEDIA_SAMPLE_RATE) * 1000;

const KIND_AUDIO = 1;
const KIND_CLOCK_PROBE = 2;
const KIND_CLOCK_REPLY = 3;
export const AUDIO_HEADER_BYTES = 20;
/** An Opus packet is at most 1275 bytes per 20 ms frame (RFC 6716 section 3.2.1). */
const MAX_OPUS_BYTES = 1275 * 3;

export const FLAG_DISCONTINUITY = 1;
/** A frame sent again because a listener asked (NACK): its age says nothing about the path's delay. */
export const FLAG_RESENT = 2;
/**
 * Flags bits 4-6: the frame's rung on the bitrate ladder. The host encodes the same frames (same
 * seq and stamp) once per rung in use and sends each listener one rung; a listener may be moved to
 * another rung between two frames, and its decoder goes on without a gap.
 */
const RUNG_SHIFT = 4;
const RUNG_MASK = 0x70;

/** Opus bitrates (bit/s), highest first: the host's ladder. */
export const BITRATE_LADDER = [256_000, 160_000, 96_000, 64_000, 32_000] as const;
/** Where a new listener starts (160 kbit/s: music grade), before the host measures its path. */
export const START_RUNG = 1;

/** The flags with `rung` (index into BITRATE_LADDER) set. */
export function withRung(flags: number, rung: number): number {
  return (flags & ~RUNG_MASK) | ((rung << RUNG_SHIFT) & RUNG_MASK);
}

/** The frame's rung (index into BITRATE_LADDER), or -1 if the flags name none. */
export function rungOf(flags: number): number {
  const rung = (flags & RUNG_MASK) >> RUNG_SHIFT;
  return rung < BITRATE_LADDER.length ? rung : -1;
}

export interface AudioFrame {
  /**
   * FLAG_DISCONTINUITY: first frame after a seek, source switch or encoder restart. FLAG_RESENT.
   * Bits 4-6: the rung (rungOf).
   */
  flags: number;
  /** Changes whenever the host restarts its encoder; a listener resets its decoder on a change. */
  streamId: number;
  seq: number;
  /** Host-clock ms (performance.timeOrigin + performance.now() on the host) of the first sample. */
  t: number;
  /** Samples per channel in this frame (FRAME_SAMPLES). */
  samples: number;
  /**
   * The stamps' timeline (mod 65536): within one epoch every stamp lies exactly on one line; it
   * changes when the host draws the line again (sync/Timeline: its measured capture time left the
   * line by 2 ms, or its audio stalled). A receiver refits its media clock from the first frame of
   * a new epoch instead of taking the step for noise.
   */
  epoch: number;
  /** The Opus packet. A view into the received buffer: copy it if you keep it. */
  payload: Uint8Array;
}

export function encodeAudioFrame(frame: AudioFrame): ArrayBuffer {
  const buf = new ArrayBuffer(AUDIO_HEADER_BYTES + frame.payload.byteLength);
  const view = new DataView(buf);
  view.setUint8(0, KIND_AUDIO);
  view.setUint8(1, frame.flags & 0xff);
  view.setUint16(2, frame.streamId & 0xffff, true);
  view.setUint32(4, frame.seq >>> 0, true);
  view.setFloat64(8, frame.t, true);
  view.setUint16(16, frame.samples, true);
  view.setUint16(18, frame.epoch & 0xffff, true);
  new Uint8Array(buf, AUDIO_HEADER_BYTES).set(frame.payload);
  return buf;
}

export type MediaParse<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Parses an audio frame, rejecting anything malformed or out of range (it is dropped and counted). */
export function decodeAudioFrame(data: ArrayBuffer): MediaParse<AudioFrame> {
  if (!(data instanceof ArrayBuffer)) return { ok: false, reason: 'not binary' };
  if (data.byteLength <= AUDIO_HEADER_BYTES) return { ok: false, reason: 'too short' };
  if (data.byteLength > AUDIO_HEADER_BYTES + MAX_OPUS_BYTES) return { ok: false, reason: 'too long' };
  const view = new DataView(data);
  if (view.getUint8(0) !== KIND_AUDIO) return { ok: false, reason: 'not an audio frame' };
  const t = view.getFloat64(8, true);
  const samples = view.getUint16(16, true);
  if (!Number.isFinite(t) || t <= 0) return { ok: false, reason: 'bad timestamp' };
  if (samples === 0 || samples > MEDIA_SAMPLE_RATE / 10) return { ok: false, reason: 'bad sample count' };
  return {
    ok: true,
    value: {
      flags: view.getUint8(1),
      streamId: view.getUint16(2, true),
      seq: view.getUint32(4, true),
      t,
      samples,
      epoch: view.getUint16(18, true),
      payload: new Uint8Array(data, AUDIO_HEADER_BYTES),
    },
  };
}

/** Listener -> host: "my clock read t0 when I sent this". */
export function encodeClockProbe(t0: number): ArrayBuffer {
  const buf = new ArrayBuffer(16);
  const view = new DataView(buf);
  view.setUint8(0, KIND_CLOCK_PROBE);
  view.setFloat64(8, t0, true);
  return buf;
}

/** Host -> listener: the probe's t0, the host's receive time t1 and send time t2. */
export function encodeClockReply(t0: number, t1: number, t2: number): ArrayBuffer {
  const buf = new ArrayBuffer(32);
  const view = new DataView(buf);
  view.setUint8(0, KIND_CLOCK_REPLY);
  view.setFloat64(8, t0, true);
  view.setFloat64(16, t1, true);
  view.setFloat64(24, t2, true);
  return buf;
}

export type ClockMessage =
  | { kind: 'probe'; t0: number }
  | { kind: 'reply'; t0: number; t1: number; t2: number };

export function decodeClockMessage(data: ArrayBuffer): MediaParse<ClockMessage> {
  if (!(data instanceof ArrayBuffer) || data.byteLength < 16) return { ok: false, reason: 'too short' };
  const view = new DataView(data);
  const kind = view.getUint8(0);
  const t0 = view.getFloat64(8, true);
  if (!Number.isFinite(t0)) return { ok: false, reason: 'bad time' };
  if (kind === KIND_CLOCK_PROBE && data.byteLength === 16) return { ok: true, value: { kind: 'probe', t0 } };
  if (kind === KIND_CLOCK_REPLY && data.byteLength === 32) {
    const t1 = view.getFloat64(16, true);
    const t2 = view.getFloat64(24, true);
    if (!Number.isFinite(t1) || !Number.isFinite(t2)) return { ok: false, reason: 'bad time' };
    return { ok: true, value: { kind: 'reply', t0, t1, t2 } };
  }
  return { ok: false, reason: 'not a clock message' };
}

const KIND_NACK = 4;
/** Frames one NACK may ask for (a burst longer than this is asked for in several). */
export const MAX_NACK_SEQS = 64;

export interface Nack {
  streamId: number;
  seqs: number[];
}

/**
 * Listener -> host, on the audio channel: "send these frames of this stream again". The host keeps
 * the last few seconds of frames and resends those it still has, within a per-listener budget.
 * Layout: kind u8, count u8, streamId u16, then count x seq u32 (little-endian).
 */
export function encodeNack(nack: Nack): ArrayBuffer {
  const seqs = nack.seqs.slice(0, MAX_NACK_SEQS);
  const buf = new ArrayBuffer(4 + 4 * seqs.length);
  const view = new DataView(buf);
  view.setUint8(0, KIND_NACK);
  view.setUint8(1, seqs.length);
  view.setUint16(2, nack.streamId & 0xffff, true);
  for (const [i, s] of seqs.entries()) view.setUint32(4 + 4 * i, s >>> 0, true);
  return buf;
}

export function decodeNack(data: ArrayBuffer): MediaParse<Nack> {
  if (!(data instanceof ArrayBuffer) || data.byteLength < 8) return { ok: false, reason: 'too short' };
  const view = new DataView(data);
  const count = view.getUint8(1);
  if (view.getUint8(0) !== KIND_NACK) return { ok: false, reason: 'not a nack' };
  if (count === 0 || count > MAX_NACK_SEQS || data.byteLength !== 4 + 4 * count) {
    return { ok: false, reason: 'bad length' };
  }
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) seqs.push(view.getUint32(4 + 4 * i, true));
  return { ok: true, value: { streamId: view.getUint16(2, true), seqs } };
}
