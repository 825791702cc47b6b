/**
 * A gOT reading whose performanceTime is this far (ms) ahead of performance.now() is impossible:
 * it would say when a sample *will* have been played. Chromium's lag a callback behind instead.
 */
const FUTURE_MS = 20;
/**
 * After this many impossible readings in a row (a fifth of a second at the player's 25 ms), the
 * browser's getOutputTimestamp() is not believed again for this output. WebKitGTK 2.50's
 * performanceTime runs at twice the rate of its contextTime (measured here, docs/browsers.md):
 * every reading after its first tenth of a second is in the future, and more so each time.
 */
const DISTRUST_AFTER = 8;
/**
 * Without a usable getOutputTimestamp(), `currentTime` against performance.now() is what is left;
 * WebKitGTK advances currentTime in bursts (up to 53 ms at once, measured here), so each reading
 * is late by wherever it fell in a burst. The earliest of the last ENVELOPE_MS (the one taken right
 * after a burst) is the mapping; half a second holds several bursts.
 */
const ENVELOPE_MS = 500;

/** What the page reads from its AudioContext in one go. */
export interface OutputSample {
  /** getOutputTimestamp(), as the browser gave it (s and ms; undefined where it has none). */
  contextTime: number | undefined;
  performanceTime: number | undefined;
  /** AudioContext.currentTime (s). */
  currentTime: number;
  /** baseLatency + outputLatency (s): how far behind currentTime the browser says the speaker is. */
  latencySec: number;
  /** performance.now() (ms). */
  now: number;
}

/** A reading for OutputClock.addReading: the sample at `contextTimeSec` leaves at `performanceTimeMs`. */
export interface OutputReading {
  contextTimeSec: number;
  performanceTimeMs: number;
}

/** Where the readings come from: the browser's getOutputTimestamp(), or currentTime and its latencies. */
export type OutputSource = 'timestamp' | 'current-time';

/**
 * Picks what the OutputClock is fed. getOutputTimestamp() while it is possible; once it has said
 * the impossible (DISTRUST_AFTER readings in a row from the future), `currentTime - baseLatency -
 * outputLatency` against performance.now(), through the lower envelope of ENVELOPE_MS. That
 * fallback knows only the latency the browser reports: a device that under-reports plays that much
 * later than the room, as on any device until its calibration says by how much. Pure.
 */
export class OutputFallback {
  #source: OutputSource = 'timestamp';
  #inARow = 0;
  /** Readings refused: a performanceTime in the future. */
  refused = 0;
  /** The fallback's last ENVELOPE_MS: context ms and (performance ms - context ms). */
  #recent: Array<{ x: number; d: number }> = [];

  get source(): OutputSource {
    return this.#source;
  }

  /** The reading to feed the OutputClock, or null (nothing trustworthy yet). */
  read(s: OutputSample): OutputReading | null {
    if (this.#source === 'timestamp') {
      const { contextTime, performanceTime } = s;
      // Before the output has started both are 0: no reading, and nothing wrong.
      if (contextTime === undefined || performanceTime === undefined || !(performanceTime > 0)) return null;
      if (performanceTime - s.now <= FUTURE_MS) {
        this.#inARow = 0;
        return { contextTimeSec: contextTime, performanceTimeMs: performanceTime };
      }
      this.refused++;
      if (++this.#inARow < DISTRUST_AFTER) return null;
      this.#source = 'current-time';
    }
    return this.#fromCurrentTime(s);
  }

  reset(): void {
    this.#source = 'timestamp';
    this.#inARow = 0;
    this.#recent = [];
  }

  #fromCurrentTime(s: OutputSample): OutputReading | null {
    const x = (s.currentTime - s.latencySec) * 1000;
    if (!(x > 0)) return null;
    const recent = this.#recent;
    recent.push({ x, d: s.now - x });
    while ((recent[0] as { x: number }).x < x - ENVELOPE_MS) recent.shift();
    let d = Number.POSITIVE_INFINITY;
    for (const r of recent) d = Math.min(d, r.d);
    return { contextTimeSec: x / 1000, performanceTimeMs: x + d };
  }
}
