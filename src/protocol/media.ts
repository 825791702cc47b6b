/**
 * The media protocol between the host and each listener, over one WebRTC peer connection:
 *
 * - `audio` data channel (unordered, no retransmits): binary audio frames, see `encodeAudioFrame`.
 * - `clock` data channel (unordered, no retransmits): binary clock probes and replies.
 * - `control` data channel (reliable, ordered): JSON `HostControl` / `ListenerControl` messages.
 *
 * Unreliable channels for audio and clock because a late frame is worse than a lost one (the playout
 * conceals a loss; a retransmitted frame arrives after its time) and a retransmitted clock probe only
 * measures the retransmission. docs/sync.md describes the timeline these stamps live on.
 */
import { z } from 'zod';

export * from './mediaWire.js';

import type { MediaParse } from './mediaWire.js';

// ---------------------------------------------------------------------------------------------
// Control channel (JSON)

export const SyncMode = z.enum(['live', 'party']);
export type SyncMode = z.infer<typeof SyncMode>;

export const SourceKind = z.enum(['none', 'tab', 'file', 'mic', 'test']);
export type SourceKind = z.infer<typeof SourceKind>;

/** What a member's sync looks like, for the member list. All ms; -1 where not known yet. */
export const SyncStatus = z.object({
  /** Filtered |read position - target| at this device's output. */
  syncErrorMs: z.number(),
  /** Host capture -> this device's speaker: the room delay D as lived by this device. */
  delayMs: z.number(),
  /** Media buffered ahead of the playout position. */
  bufferMs: z.number(),
  /** Clock-sync uncertainty bound. */
  clockUncertaintyMs: z.number(),
  rttMs: z.number(),
  lateFrames: z.number(),
  underrunMs: z.number(),
  inSync: z.boolean(),
  /** The Opus bitrate this device gets, kbit/s: its rung on the host's ladder (absent before audio). */
  kbps: z.number().min(0).max(1000).optional(),
  /** This device's output offset (ms, + plays later): set by hand or by acoustic calibration. */
  offsetMs: z.number().min(-1000).max(1000).optional(),
  /**
   * Acoustic calibration of this device's output: never done, done for the output it plays on,
   * done but the output changed since (other headphones, Bluetooth, a jump in the reported
   * latency), or its signal was not heard in the last run.
   */
  calibration: z.enum(['none', 'calibrated', 'stale', 'not-heard']).optional(),
});
export type SyncStatus = z.infer<typeof SyncStatus>;
export type CalibrationState = NonNullable<SyncStatus['calibration']>;

export const NowPlaying = z.object({
  source: SourceKind,
  title: z.string().max(200).optional(),
  artist: z.string().max(200).optional(),
  durationMs: z.number().nonnegative().optional(),
  /** Position at host-clock time `at`, for files. */
  positionMs: z.number().nonnegative().optional(),
  at: z.number(),
  playing: z.boolean(),
});
export type NowPlaying = z.infer<typeof NowPlaying>;

export const HostControl = z.discriminatedUnion('type', [
  /** The playout parameters every device uses: D and the mode it came from. */
  z.object({
    type: z.literal('session'),
    delayMs: z.number().min(0).max(10_000),
    mode: SyncMode,
    streamId: z.number(),
  }),
  z.object({ type: z.literal('now-playing'), nowPlaying: NowPlaying }),
  /** Sync status of every member, so every member list can show it. */
  z.object({ type: z.literal('sync-table'), entries: z.record(z.string().max(32), SyncStatus) }),
  /**
   * Acoustic calibration: play the calibration signal so that it leaves this device's speaker at
   * host-clock time `atMs` (with the device's current offset, as its music plays).
   */
  z.object({ type: z.literal('chirp'), run: z.number().int().min(0), atMs: z.number() }),
  /**
   * The outcome of a calibration run for this device: the offset to use from now on (heard), or
   * that its signal was not heard (`offsetMs` absent: keep the offset it has).
   */
  z.object({
    type: z.literal('calibrated'),
    run: z.number().int().min(0),
    heard: z.boolean(),
    offsetMs: z.number().min(-500).max(500).optional(),
  }),
]);
export type HostControl = z.infer<typeof HostControl>;

export const ListenerControl = z.discriminatedUnion('type', [
  /**
   * Once a second. `needMs`: the room delay this device needs (a high percentile of frame age at
   * arrival + render lead + decoding), from which the host picks D. `lateByMs`: by how much the
   * frames that came too late since the last report missed, on average (0 if none): a near miss
   * says D is a little short, a long one an outage that no sensible D covers.
   */
  z.object({
    type: z.literal('report'),
    status: SyncStatus,
    jitterMs: z.number(),
    lossRate: z.number().min(0).max(1),
    needMs: z.number().min(0).max(60_000),
    lateByMs: z.number().min(0).max(600_000).optional(),
  }),
  /** The listener changed how it connects (e.g. relay only): the host opens a new connection to it. */
  z.object({ type: z.literal('reconnect') }),
]);
export type ListenerControl = z.infer<typeof ListenerControl>;

export function parseHostControl(text: string): MediaParse<HostControl> {
  return parseJson(HostControl, text);
}

export function parseListenerControl(text: string): MediaParse<ListenerControl> {
  return parseJson(ListenerControl, text);
}

function parseJson<T>(schema: z.ZodType<T>, text: string): MediaParse<T> {
  if (typeof text !== 'string' || text.length > 64 * 1024)
    return { ok: false, reason: 'not text or too long' };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const r = schema.safeParse(data);
  return r.success
    ? { ok: true, value: r.data }
    : { ok: false, reason: r.error.issues[0]?.message ?? 'invalid' };
}
