// The shape of `window.__jamseshLoopback`, with no imports: the test page implements it
// (loopback.ts), and the Node-side tests read it (tests/e2e/webkit.spec.ts).

/**
 * The loopback page (test build only, /testing/loopback.html): a host and a listener in one page,
 * each with its own media worker and AudioContext as on two devices, linked by MessagePorts where
 * a room has WebRTC data channels. What a browser without WebRTC can still show of the app.
 */
export interface LoopbackLab {
  /** Starts both sides and the click track; resolves once the click detector listens. */
  start(options: { delayMs: number }): Promise<void>;
  report(): LoopbackReport;
}

/** One reading of the listener's AudioContext, taken at once on the main thread. */
export interface ContextReading {
  /** performance.now() (ms). */
  now: number;
  currentTime: number;
  /** getOutputTimestamp() as the browser gave it. */
  contextTime: number | null;
  performanceTime: number | null;
  baseLatency: number;
  outputLatency: number;
}

export interface LoopbackReport {
  userAgent: string;
  /** localNow() when start() was called, and when this report was taken. */
  startedAt: number;
  at: number;
  /** Frames on their way from the host's worker to the listener's (the page relays them). */
  framesSent: number;
  /** Frames whose number was not the previous one's plus one (sent twice, out of order, skipped). */
  outOfOrder: number;
  /** Distinct stream ids seen: 1 unless the host's encoder restarted. */
  streams: number;
  /** Of them, decoded again on the page to find where each click is. */
  framesDecodedHere: number;
  /**
   * Local ms at which each click should leave the listener's output: its sample's stamp (the
   * frame's stamp plus its place in the frame, less the codec's delay) plus the room delay.
   */
  expectedClicks: number[];
  /** Local ms at which clicks left the listener's output (the probe, through its output clock). */
  clicks: number[];
  /**
   * Clicks at the host's source, before capture (local ms at which they would leave the host's
   * output, which plays nothing here): the click track's own regularity, for diagnostics.
   */
  sourceClicks: number[];
  /** The host worker's last counters (captured, encoded, capture clock steps), or null. */
  host: Record<string, unknown> | null;
  /** The listener worker's last state report (decode errors, clock sync), or null. */
  listener: Record<string, unknown> | null;
  /** The listener's playout worklet stats (frames received, late, underruns), or null. */
  playout: Record<string, unknown> | null;
  outputClock: {
    ready: boolean;
    /** localNow() when it became ready, or null. */
    readyAt: number | null;
    source: string;
    steps: number;
    scatterMs: number;
    /** Render lead (ms): how far ahead of the speaker the worklet renders, as the clock sees it. */
    renderLeadMs: number;
  };
  /** The listener's and the host's contexts, read every 250 ms from the start. */
  readings: ContextReading[];
  hostReadings: ContextReading[];
}

export interface LoopbackWindow {
  __jamseshLoopback: LoopbackLab;
}
