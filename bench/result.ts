import type { Summary } from './stats.js';

/** What one scenario measured, for the report. Times in ms unless named otherwise. */
export interface RunResult {
  /** e.g. "JamSesh Live". */
  label: string;
  /** Short column title. */
  column: string;
  kind: 'jamsesh' | 'webrtc';
  mode: 'live' | 'party' | null;
  listeners: number;
  seconds: number;
  /** Per click heard by every listener: latest minus earliest listener. */
  skew: Summary;
  /** JamSesh: |listener - host device| per click. */
  hostDeviceSkew: Summary | null;
  /** Source (host, before capture/encode) -> listener output, every matched listener click. */
  latency: Summary;
  /** Per listener: median latency. */
  latencyByListener: number[];
  /** JamSesh: the room delay D at the end of the window; baseline: the jitter buffer target. */
  delayMs: number | null;
  /** JamSesh: host render lead (median over the source clicks): D + this is the design latency. */
  hostRenderLeadMs: number | null;
  join: JoinResult | null;
  /** Per listener, during the measured window. */
  glitches: Glitches[];
  hostCpu: HostCpu;
  /** Per listener: what the host's peer connection sent (ICE transport bytes), kbit/s. */
  uploadKbps: number[];
  /** Per listener: payload only (data channels, or RTP payload), kbit/s. */
  payloadKbps: number[];
  clicksPerListener: number[];
  /** Things the reader should know (a stage that timed out, a missing figure). */
  notes: string[];
  /** The raw measurements, for `--dump`: window, clicks per device, source production times, D. */
  raw: {
    from: number;
    to: number;
    /** JamSesh: [host device, ...listeners]; baseline: listeners. */
    clicks: number[][];
    produced: number[];
    delays: Array<{ at: number; d: number }>;
  };
}

export interface JoinResult {
  /** Join click -> first click at its output within 2 ms of every other listener's. */
  firstWithin2Ms: number | null;
  /** Join click -> the first of 10 consecutive clicks (5 s) all within 2 ms. */
  staysWithin2Ms: number | null;
  /** Join click -> the listener's own status first says inSync. */
  inSyncFlagMs: number | null;
  /** When the late joiner's page passed each step (ms after the join click), e.g. "player +310, link +820". */
  steps?: string;
}

export interface Glitches {
  name: string;
  /** Concealed output time (ms): JamSesh playout underrun; WebRTC concealedSamples / 48. */
  concealedMs: number;
  /** JamSesh conceal events; WebRTC concealmentEvents. */
  concealEvents: number;
  /** JamSesh frames that came after their playout time; WebRTC: packets lost. */
  lateFrames: number;
  /** JamSesh hard resyncs (jumps); WebRTC: none. */
  hardResyncs: number;
}

export interface HostCpu {
  /** The host's renderer process, all threads, /proc utime+stime: % of one core. */
  processPct: number | null;
  /** The host page's main thread busy, CDP Performance.getMetrics TaskDuration (wall time in tasks): %. */
  mainThreadPct: number | null;
}
