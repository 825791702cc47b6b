/**
 * Messages between the page and its media worker (src/client/media/worker/media.worker.ts).
 *
 * The worker does the media work that must not wait for the page's main thread: clock probes and
 * answers, Opus encode and decode, stamping, the frames' way to the playout worklet and the
 * schedule it plays by. The page keeps what only it can do: the AudioContext (it reads the output
 * clock and sends it here), the peer connections and their control channels, the room delay policy
 * and the UI. Audio and clock data channels are transferred here (or relayed over a MessagePort
 * where the browser cannot transfer them).
 */
import type { SyncMode } from '../../../protocol/media.js';
import type { ClockEstimate } from '../../../sync/ClockSync.js';
import type { FrameOrderCounters } from '../../../sync/FrameOrder.js';
import type { AffineLine } from '../../../sync/TimingLine.js';
import type { DecoderKind } from '../decoderChoice.js';

/** A data channel moved to the worker, or a port the page relays one through. */
export type WireEnd = RTCDataChannel | MessagePort;

export type ToWorker =
  | {
      type: 'init';
      role: 'host' | 'listener';
      /** The output context's rate (the capture's stamps are context frames). */
      sampleRate: number;
      /** A port to the playout worklet. */
      playout: MessagePort;
      /** The Opus decoder to run (decoderChoice.ts). */
      decoder: DecoderKind;
    }
  | {
      type: 'output';
      /** Output clock: context ms -> local ms at which that sample leaves the device; null if unknown. */
      line: AffineLine | null;
      /** How far ahead of the speaker the worklet renders, ms. */
      renderLeadMs: number;
    }
  /** The room delay D, and the mode it was chosen for (Party asks for more margin). */
  | { type: 'delay'; delayMs: number; mode: SyncMode }
  | { type: 'offset'; offsetMs: number }
  /** A link's audio and clock channels (host: one per listener; listener: the host's). */
  | { type: 'wire'; peerId: string; audio: WireEnd; clock: WireEnd }
  | { type: 'unwire'; peerId: string }
  /** Host: a port to the capture worklet. */
  | { type: 'capture'; port: MessagePort }
  /** Host: whether this device plays the stream too. */
  | { type: 'local-playback'; enabled: boolean };

export interface HostCounters {
  captured: number;
  encoded: number;
  encodeErrors: number;
  unstamped: number;
  decoded: number;
  /** Frames sent again at listeners' request (NACK). */
  resent: number;
  /** Resends refused: a listener asked for more than its budget. */
  resendsRefused: number;
  /** Recent frames sent to new listeners when their channel opened (so they can start at once). */
  prefilled: number;
  /** Messages on an audio channel that were not a NACK for the current stream. */
  badNacks: number;
  /** Largest time from a frame's capture (its first sample produced) to its send, since the last report (ms). */
  maxSendLagMs: number;
  /** Capture to send over the last 5 s, median and 99th percentile (ms). */
  sendLagP50?: number;
  sendLagP99?: number;
  /** This device's own frames: capture to decoded, median over the last 5 s (ms). */
  ownAgeP50?: number;
  /** Capture worklet to worker, 99th percentile over the last 5 s, beyond the stamp (ms). */
  arriveP99?: number;
  /** The capture clock's steps (the audio clock stalled and fell behind). */
  captureSteps?: number;
  /** Times the stream's timeline was drawn again (Timeline.redraws). */
  timelineRedraws?: number;
  /** Longest decode of this device's own frames since the last report (ms). */
  decodeMax?: number;
  /** Decoder outputs of an unexpected length or timestamp (FrameDecoder.odd). */
  decodeOdd?: number;
  /** Jumps of this device's own schedule (Schedule.jumps). */
  scheduleJumps?: ScheduleJumps;
  /** Encode call to output over the last 5 s, median and 99th percentile (ms). */
  encodeP50?: number;
  encodeP99?: number;
  /** Opus encoders running (kbit/s each): one per rung of the ladder someone gets. */
  encoders?: number[];
}

/** A listener's place on the bitrate ladder (RateControl), as the host sees it. */
export interface LinkRate {
  /** The rung it gets now, kbit/s of Opus. */
  kbps: number;
  /** Steps down, steps up, and steps up that failed (congestion soon after). */
  downs: number;
  ups: number;
  failedProbes: number;
}

/**
 * Jumps of this device's schedule (the media due at the speaker now moved by more than 1 ms
 * between two timing lines), by which mapping moved: the output clock (context -> local), the clock
 * sync (local -> host), the media clock (host -> media) or the room delay. Diagnostics: each jump
 * moves what this device plays, so a device whose count climbs is a device out of step.
 */
export interface ScheduleJumps {
  output: number;
  clock: number;
  media: number;
  delay: number;
  /** The last few jumps of the whole schedule (ms of media; + plays later media, i.e. earlier sound). */
  last: number[];
}

export function emptyHostCounters(): HostCounters {
  return {
    captured: 0,
    encoded: 0,
    encodeErrors: 0,
    unstamped: 0,
    decoded: 0,
    resent: 0,
    resendsRefused: 0,
    prefilled: 0,
    badNacks: 0,
    maxSendLagMs: 0,
  };
}

export type FromWorker =
  | {
      type: 'host';
      counters: HostCounters;
      streamId: number;
      /** Frames dropped per listener because its channel was backed up. */
      drops: Record<string, number>;
      /** Each listener's rung on the bitrate ladder. */
      rates: Record<string, LinkRate>;
      /** How long since anything came from each listener (ms): a quiet one's path may be dead. */
      silentMs: Record<string, number>;
      /** The rung this device's own playout decodes, kbit/s. */
      ownKbps: number;
      /** The delay this device needs for its own playout, ms. */
      needMs: number;
      /** The Opus decoder this device's own playout runs. */
      decoder: DecoderKind;
    }
  | {
      type: 'listener';
      clock: ClockEstimate | null;
      clockReady: boolean;
      /** The delay this device needs, ms. */
      needMs: number;
      jitterMs: number;
      lossRate: number;
      badFrames: number;
      decodeErrors: number;
      /** Oldest frame at arrival since the last report (ms). */
      maxAgeMs: number;
      /** Frame age at arrival over the last 5 s, median (ms). */
      ageP50: number;
      /** Longest decode since the last report (ms). */
      decodeMax?: number;
      /** Decoder outputs that matched no packet (dropped). */
      decodeUnmatched?: number;
      /** Decoder outputs of an unexpected length or timestamp (FrameDecoder.odd). */
      decodeOdd?: number;
      /** Jumps of this device's schedule (Schedule.jumps). */
      scheduleJumps?: ScheduleJumps;
      /** Loss recovery (FrameOrder): frames missing, recovered, given up, NACKs sent. */
      recovery: FrameOrderCounters;
      /** The bitrate of the last frame received, kbit/s (0 before any). */
      kbps: number;
      /** The Opus decoder this device runs. */
      decoder: DecoderKind;
    };

/** How often the worker reports its state to the page. */
export const WORKER_STATE_EVERY_MS = 250;
