import { median } from '../common/median.js';
import { LineFit } from './LineFit.js';
import { type AffineLine, lineAt, lineInverse } from './TimingLine.js';

/** The first line is drawn only once the readings have held this long (context ms)... */
const STABLE_MS = 1000;
/** ...within this range (ms) of itself... */
const STABLE_RANGE_MS = 3;
/** ...with at least this many readings. */
const STABLE_MIN_READINGS = 15;
/** Readings this far (ms) from the line do not go into its slope's fit. */
const OFF_LINE_MS = 1;
/**
 * Once there is a line, its level follows the readings of the last LEVEL_WINDOW_MS: the mean of
 * their middle half (less the slope), whenever that middle half spans at most LEVEL_SPREAD_MS.
 * Measured at the real output (docs/sync.md, "Following the real output"): the readings follow a
 * real step of the output (an underrun) at once and to ~0.1 ms, while a line that believed a new
 * level only after a settled second within 3 ms (and absorbed smaller steps over its 10 s window)
 * sat 1-5 ms off the real output in loaded runs, and one that waited for half a second within
 * 1 ms lagged the readings as often as it smoothed them. A window whose middle half spreads wider
 * is a ramp or a burst of stalls: the level holds.
 */
const LEVEL_WINDOW_MS = 250;
const LEVEL_MIN_READINGS = 8;
const LEVEL_SPREAD_MS = 3;
/** A level that moves this much (ms) at once counts as a step of the output. */
const STEP_MS = 1;

interface Reading {
  x: number;
  y: number;
}

/**
 * Where the sound really leaves this device, as far as the browser can tell: a line from the audio
 * context's time to the local clock (performance.timeOrigin + performance.now(), ms), from
 * `AudioContext.getOutputTimestamp()` readings.
 *
 * Why not one reading (measured here, docs/sync.md): a single reading was 10-170 ms off while the
 * output ramped up after a start or an underrun; the median of readings from a stable window
 * brought three Chromium instances to ~0.5 ms of each other. So:
 * - the first line waits for a settled second (readings within 3 ms of each other);
 * - then the line's *slope* (the sound card's clock against the system clock, ~+200 ppm here) is a
 *   fit over 10 s of readings near the line, and its *level* follows the trimmed mean of the last
 *   quarter second of readings, as long as they agree (their middle half within 3 ms). A step of the
 *   output (an underrun delayed everything) is followed within a quarter of a second; a lone
 *   reading delayed by an OS stall does not move it; a run that keeps moving (the latency estimate
 *   ramping for seconds) is not believed, and the line holds until the readings agree again.
 * In Chromium `contextTime` already includes the output delay, so `outputLatency` is not
 * subtracted again. A platform known to report its output too early (`unreportedMs`: Apple's
 * WebKit, platformLatency.ts) has every reading moved that much later, until calibration measures
 * the device itself.
 */
export class OutputClock {
  /** Added to every reading (ms): output delay the platform leaves out of its reports. */
  readonly unreportedMs: number;
  /** The slope: readings within OFF_LINE_MS of the line. */
  readonly #fit = new LineFit(
    {
      windowX: 10_000, // ms of context time
      maxPoints: 600,
      outlierY: 2,
      stepPoints: 8, // a level that moved leaves the old points behind
      stepY: OFF_LINE_MS,
      minSlopeSpan: 3000, // a line through a few seconds of readings keeps the previous slope
    },
    1,
  );
  /** Before the first line: the readings of the last STABLE_MS. */
  #pending: Reading[] = [];
  /** With a line: the readings of the last LEVEL_WINDOW_MS. */
  #recent: Reading[] = [];
  #line: AffineLine | null = null;
  #steps = 0;
  #ignored = 0;
  #rms = Number.POSITIVE_INFINITY;

  constructor(options: { unreportedMs?: number } = {}) {
    this.unreportedMs = options.unreportedMs ?? 0;
  }

  /**
   * One `getOutputTimestamp()` reading. `timeOrigin` turns its performanceTime into the local clock.
   * Readings from before the output started (performanceTime 0) are ignored.
   */
  addReading(contextTimeSec: number, performanceTimeMs: number, timeOrigin: number): void {
    if (!(performanceTimeMs > 0) || !(contextTimeSec > 0)) return;
    const x = contextTimeSec * 1000;
    const y = timeOrigin + performanceTimeMs + this.unreportedMs;
    const line = this.#line;
    if (!line) {
      this.#first({ x, y });
      return;
    }
    if (Math.abs(y - lineAt(line, x)) <= OFF_LINE_MS) this.#fit.add(x, y);
    else this.#ignored++;
    const recent = this.#recent;
    recent.push({ x, y });
    while (recent.length > 0 && (recent[0] as Reading).x < x - LEVEL_WINDOW_MS) recent.shift();
    if (recent.length < LEVEL_MIN_READINGS) return;
    // Each reading's level, brought to x along the slope; the middle half of them.
    const slope = this.#fit.line?.slope ?? line.slope;
    const levels = recent.map((r) => r.y + slope * (x - r.x)).sort((a, b) => a - b);
    const lo = Math.floor(levels.length / 4);
    const hi = Math.ceil((levels.length * 3) / 4) - 1;
    if ((levels[hi] as number) - (levels[lo] as number) > LEVEL_SPREAD_MS) return;
    let sum = 0;
    for (let i = lo; i <= hi; i++) sum += levels[i] as number;
    const level = sum / (hi - lo + 1);
    if (Math.abs(level - lineAt(line, x)) > STEP_MS) this.#steps++;
    let ss = 0;
    for (let i = lo; i <= hi; i++) ss += ((levels[i] as number) - level) ** 2;
    this.#rms = Math.sqrt(ss / (hi - lo + 1));
    this.#line = { x0: x, y0: level, slope };
  }

  /** Before the first line: it is drawn through a settled second of readings. */
  #first(reading: Reading): void {
    const pending = this.#pending;
    pending.push(reading);
    while (pending.length > 0 && (pending[0] as Reading).x < reading.x - STABLE_MS) {
      pending.shift();
      this.#ignored++;
    }
    if (!this.#settled()) return;
    // The line goes through the readings that agree with the settled level (the tail of a ramp
    // that ends inside the window would tilt it).
    const slope = this.slope;
    const level = median(pending.map((r) => r.y - slope * (r.x - reading.x)));
    for (const r of pending)
      if (Math.abs(r.y - slope * (r.x - reading.x) - level) <= OFF_LINE_MS) this.#fit.add(r.x, r.y);
    this.#pending = [];
    const l = this.#fit.line;
    if (l) {
      this.#line = { x0: l.x0, y0: l.y0, slope: l.slope };
      this.#rms = l.rms;
    }
  }

  get ready(): boolean {
    return this.#line !== null;
  }

  /** How many times the output clock stepped (an underrun, a device change) and the line moved. */
  get steps(): number {
    return this.#steps;
  }

  /** Readings left out of the slope: off the line by more than a millisecond (ramps, stalls, steps). */
  get ignored(): number {
    return this.#ignored;
  }

  /** RMS scatter of the readings around the line, ms: how much to trust it. */
  get scatterMs(): number {
    return this.#rms;
  }

  /** Local time (ms) at which the sample at context time `contextTimeSec` leaves the device. */
  localTimeOf(contextTimeSec: number): number {
    return this.#line ? lineAt(this.#line, contextTimeSec * 1000) : Number.NaN;
  }

  /** Context time (s) of the sample that leaves the device at local time `localMs`. */
  contextTimeAt(localMs: number): number {
    return this.#line ? lineInverse(this.#line, localMs) / 1000 : Number.NaN;
  }

  /** The mapping as a line, context ms -> local ms (null until ready): what the media worker uses. */
  get line(): AffineLine | null {
    return this.#line ? { ...this.#line } : null;
  }

  /** Local ms per context ms (1 + the sound card's drift against the system clock). */
  get slope(): number {
    return this.#line?.slope ?? 1;
  }

  reset(): void {
    this.#fit.reset();
    this.#pending = [];
    this.#recent = [];
    this.#line = null;
  }

  /** The pending readings span a second and agree with each other (around the current slope). */
  #settled(): boolean {
    const p = this.#pending;
    if (p.length < STABLE_MIN_READINGS) return false;
    const first = p[0] as Reading;
    const last = p[p.length - 1] as Reading;
    if (last.x - first.x < STABLE_MS * 0.8) return false;
    const slope = this.slope;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const r of p) {
      const offset = r.y - first.y - slope * (r.x - first.x);
      lo = Math.min(lo, offset);
      hi = Math.max(hi, offset);
    }
    return hi - lo < STABLE_RANGE_MS;
  }
}
