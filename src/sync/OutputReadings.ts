/**
 * Turns the browser's `getOutputTimestamp()` into what OutputClock expects: "the sample at context
 * time x leaves the device at local time y".
 *
 * Chromium's readings mean exactly that, and pass through unchanged. Firefox's do not (measured
 * here, Firefox ESR 153 on PulseAudio, docs/browsers.md): it stamps the call itself, giving
 * `contextTime = currentTime - outputLatency` and `performanceTime = performance.now() -
 * outputLatency`, so read as Chromium's they place every sample one output latency too early;
 * and `currentTime` only moves when the audio thread renders a block (every ~21 ms there), so
 * between renders the readings lag by a sawtooth of 0-21 ms. Such a reading is recognised by its
 * stamp (performanceTime + outputLatency falls between the performance.now() taken just before and
 * just after the call) and corrected: its sample `contextTime` leaves at `performanceTime +
 * outputLatency`, and of the readings of the last ENVELOPE_MS the one with the least lag (the
 * lower envelope, as an NTP client keeps its lowest-delay sample) stands for them all.
 */

/** Readings in a row that decide which kind the browser gives (one switch resets the clock). */
const SWITCH_AFTER = 10;
/** Slack (ms) for timers coarsened to 1 ms (a page that is not cross-origin isolated). */
const STAMP_SLACK_MS = 1;
/** The window of the lower envelope: ~40 readings at the Player's 25 ms, the least lag of them mostly under a ms. */
const ENVELOPE_MS = 1000;

export interface RawOutputReading {
  /** From getOutputTimestamp(), as the browser gives them (s, ms on performance.now()'s timebase). */
  contextTimeSec: number;
  performanceTimeMs: number;
  /** `currentTime` and `outputLatency` (s), read with it. */
  currentTimeSec: number;
  outputLatencySec: number;
  /** performance.now() just before and just after the call (ms). */
  beforeMs: number;
  afterMs: number;
}

export interface OutputReading {
  contextTimeSec: number;
  performanceTimeMs: number;
}

export type ReadingKind = 'device' | 'call';

/** Whether `r` was stamped at the call (Firefox) rather than by the output device (Chromium). */
export function stampedAtCall(r: RawOutputReading): boolean {
  const latencyMs = r.outputLatencySec * 1000;
  const at = r.performanceTimeMs + latencyMs;
  return (
    at >= r.beforeMs - STAMP_SLACK_MS &&
    at <= r.afterMs + STAMP_SLACK_MS &&
    Math.abs((r.currentTimeSec - r.contextTimeSec) * 1000 - latencyMs) <= STAMP_SLACK_MS
  );
}

export class OutputReadings {
  #kind: ReadingKind = 'device';
  #run = 0;
  /** Call-stamped readings of the last ENVELOPE_MS: context ms and lag (local - context ms). */
  #window: Array<{ x: number; lag: number }> = [];

  /** What the browser's readings are, as far as they have told: 'device' until shown otherwise. */
  get kind(): ReadingKind {
    return this.#kind;
  }

  /**
   * One raw reading; returns the reading to give OutputClock (null: none yet) and whether the kind
   * just changed, in which case the clock must start over (its earlier readings meant something else).
   */
  add(r: RawOutputReading): { reading: OutputReading | null; switched: boolean } {
    if (!(r.performanceTimeMs > 0) || !(r.contextTimeSec > 0)) return { reading: null, switched: false };
    const kind: ReadingKind = stampedAtCall(r) ? 'call' : 'device';
    let switched = false;
    if (kind === this.#kind) {
      this.#run = 0;
    } else if (++this.#run >= SWITCH_AFTER) {
      this.#kind = kind;
      this.#run = 0;
      this.#window = [];
      switched = true;
    }
    if (this.#kind === 'device') {
      return {
        reading:
          kind === 'device'
            ? { contextTimeSec: r.contextTimeSec, performanceTimeMs: r.performanceTimeMs }
            : null,
        switched,
      };
    }
    if (kind !== 'call') return { reading: null, switched };
    const x = r.contextTimeSec * 1000;
    const lag = r.performanceTimeMs + r.outputLatencySec * 1000 - x;
    const w = this.#window;
    w.push({ x, lag });
    while (w.length > 0 && (w[0] as { x: number }).x < x - ENVELOPE_MS) w.shift();
    let least = lag;
    for (const p of w) least = Math.min(least, p.lag);
    return { reading: { contextTimeSec: r.contextTimeSec, performanceTimeMs: x + least }, switched };
  }
}
