// The shape of `window.__jamsesh`, with no imports: the browser app implements it
// (testHooks.ts), and the Node-side E2E tests and benchmark read it (tests/support/audioHooks.ts).

/**
 * A small read-only window into the audio engine for the end-to-end tests and the benchmark
 * (`window.__jamsesh`): they measure where every listener's clicks leave its output, on the clock
 * that all pages of one machine share. Nothing here changes what the app does.
 */
export interface TestHooks {
  /** Starts detecting clicks at this device's output; returns when the detector runs. */
  startProbe(): Promise<boolean>;
  /**
   * Makes this device's sound leave its speaker `ms` later than the browser knows (a Bluetooth
   * speaker's delay), for acoustic calibration to find. Waits for the audio output.
   */
  simulateSpeakerDelay(ms: number): Promise<boolean>;
  /**
   * Plays this device's audio on the output device the browser lists as `label` (setSinkId): tests
   * give each page its own PulseAudio sink. Waits for the audio output; false if there is no such device.
   */
  useOutputDevice(label: string): Promise<boolean>;
  /** Suspends this device's audio output, as a sleeping phone's system does. */
  suspendOutput(): Promise<void>;
  /** Local times (ms, performance.timeOrigin + now) at which clicks left this device's output. */
  clicks(): number[];
  /**
   * Host: starts detecting clicks at the source node itself, before capture and encoding (waits up
   * to 10 s for a source to play); returns when the detector runs.
   */
  startSourceProbe(): Promise<boolean>;
  /**
   * Host: clicks seen at the source. `outMs` is when that sample would leave this device's speaker
   * (the probe frame through the output clock); `renderLeadMs` is how far the audio thread rendered
   * ahead of the speaker at that moment, so `outMs - renderLeadMs` is when the source produced it.
   */
  sourceClicks(): SourceClick[];
  /** Listener: the local time (ms) at which this device first reported itself in sync, or null. */
  inSyncAt(): number | null;
  /**
   * When (local ms) each step towards playing first happened on this page: `player` (audio
   * output started), `outputClock` (its mapping known), `link` (connected to the host), `clock`
   * (host clock known), `playing` (the playout has data), `inSync`. Polled every 20 ms.
   */
  milestones(): Record<string, number>;
  /** Host: bytes sent so far on each listener's peer connection (WebRTC getStats). */
  linkStats(): Promise<LinkBytes[]>;
  /** The path each of this page's peer connections uses now (its selected ICE candidate pair). */
  routes(): Promise<IceRoute[]>;
  now(): number;
  snapshot(): Record<string, unknown>;
  /**
   * Encodes `seconds` of a test signal (a click every 500 ms over a quiet tone) with this browser's
   * Opus encoder and the host's settings, for decodePrepared; returns the number of packets.
   */
  prepareDecodeTest(seconds: number): Promise<number>;
  /** Decodes the prepared packets through FrameDecoder with one back-end, as fast as it takes them. */
  decodePrepared(kind: 'webcodecs' | 'wasm'): Promise<DecodeRun>;
  /** How the two back-ends' outputs of the prepared packets differ (after decodePrepared with each). */
  compareDecodes(): DecodeComparison;
}

export interface DecodeRun {
  kind: 'webcodecs' | 'wasm';
  /** Wall time from the first packet given to the last frame out. */
  ms: number;
  audioSeconds: number;
  frames: number;
  /** Every output came with the stamp of its own packet, in order. */
  inOrder: boolean;
  /** FrameDecoder's counters. */
  odd: number;
  unmatched: number;
  errors: number;
}

export interface DecodeComparison {
  /** Samples of the left channel each back-end gave: [webcodecs, wasm]. */
  samples: [number, number];
  /** The sample at which each click first went loud, per back-end. */
  clicks: { webcodecs: number[]; wasm: number[] };
  /** Largest difference of one sample, and the difference's RMS over the signal's. */
  maxDiff: number;
  relativeRms: number;
}

export interface SourceClick {
  outMs: number;
  renderLeadMs: number;
}

export interface LinkBytes {
  peerId: string;
  /** Everything the ICE transport sent (SCTP, DTLS and SRTP included; not UDP/IP headers). */
  transportBytesSent: number;
  /** Payload of the data channels (audio frames, clock probes, control). */
  dataChannelBytesSent: number;
}

export interface IceRoute {
  /** Candidate types: 'host', 'srflx', 'prflx' or 'relay'. */
  localType: string;
  remoteType: string;
  /** The local candidate's transport address (for a relay candidate: the TURN server's relayed address). */
  localAddress: string;
}

/** The page's global, as seen from a test. */
export interface TestHooksWindow {
  __jamsesh: TestHooks;
}
