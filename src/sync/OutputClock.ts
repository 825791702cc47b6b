import { LineFit } from './LineFit.js';
import type { AffineLine } from './TimingLine.js';

/** A new level of the readings is believed only once it has held this long (context ms)... */
const STABLE_MS = 1000;
/** ...within this range (ms) of itself... */
const STABLE_RANGE_MS = 3;
/** ...with at least this many readings. */
const STABLE_MIN_READINGS = 15;
/** Readings this far (ms) from the line are not on it: an OS stall, a ramp, or a step to confirm. */
const OFF_LINE_MS = 3;

interface Reading {
  x: number;
  y: number;
}

/**
 * Where the sound really leaves this device, as far as the browser can tell: a line from the audio
 * context's time to the local clock (performance.timeOrigin + performance.now(), ms), fitted to
 * `AudioContext.getOutputTimestamp()` readings.
 *
 * Why a fit and not one reading (measured here, docs/sync.md): a single reading was 10-170 ms off
 * while the output ramped up after a start or an underrun; the median of readings from a stable
 * window brought three Chromium instances to ~0.5 ms of each other. So readings that leave the line
 * are held apart: a lone one (an OS stall) is dropped; a run of them that settles (range under
 * 3 ms for a second: the output really stepped, e.g. an underrun delayed everything by that much)
 * becomes the new line, keeping the slope; a run that keeps moving (the latency estimate ramping
 * for seconds) is never believed, and the line stands until the readings come back or settle. The
 * first line also waits for a settled second. In Chromium `contextTime` already includes the output
 * delay, so `outputLatency` is not subtracted again. The context runs on the sound card's clock
 * (~+200 ppm against the system clock here), which the fitted slope absorbs.
 */
export class OutputClock {
  readonly #fit = new LineFit(
    {
      windowX: 10_000, // ms of context time
      maxPoints: 600,
      outlierY: 2, // ms: readings delayed by an OS stall
      stepPoints: Number.POSITIVE_INFINITY, // steps are confirmed here, not by the fit
      stepY: OFF_LINE_MS,
      minSlopeSpan: 3000, // a line through a second of readings keeps the previous slope
    },
    1,
  );
  /** Readings off the line (or before the first line), newest last, at most STABLE_MS of them. */
  #pending: Reading[] = [];
  #steps = 0;
  #ignored = 0;

  /**
   * One `getOutputTimestamp()` reading. `timeOrigin` turns its performanceTime into the local clock.
   * Readings from before the output started (performanceTime 0) are ignored.
   */
  addReading(contextTimeSec: number, performanceTimeMs: number, timeOrigin: number): void {
    if (!(performanceTimeMs > 0) || !(contextTimeSec > 0)) return;
    const x = contextTimeSec * 1000;
    const y = timeOrigin + performanceTimeMs;
    if (this.#fit.line && Math.abs(y - this.#fit.at(x)) <= OFF_LINE_MS) {
      this.#fit.add(x, y);
      this.#ignored += this.#pending.length;
      this.#pending = [];
      return;
    }
    const pending = this.#pending;
    pending.push({ x, y });
    while (pending.length > 0 && (pending[0] as Reading).x < x - STABLE_MS) {
      pending.shift();
      this.#ignored++;
    }
    if (!this.#settled()) return;
    if (this.#fit.line) this.#steps++;
    this.#fit.reset();
    for (const r of pending) this.#fit.add(r.x, r.y);
    this.#pending = [];
  }

  get ready(): boolean {
    return (this.#fit.line?.n ?? 0) >= 5;
  }

  /** How many times the output clock stepped (an underrun, a device change) and the line moved. */
  get steps(): number {
    return this.#steps;
  }

  /** Readings left out because they left the line and came back without settling (ramps, stalls). */
  get ignored(): number {
    return this.#ignored;
  }

  /** RMS scatter of the readings around the line, ms: how much to trust it. */
  get scatterMs(): number {
    return this.#fit.line?.rms ?? Number.POSITIVE_INFINITY;
  }

  /** Local time (ms) at which the sample at context time `contextTimeSec` leaves the device. */
  localTimeOf(contextTimeSec: number): number {
    return this.#fit.at(contextTimeSec * 1000);
  }

  /** Context time (s) of the sample that leaves the device at local time `localMs`. */
  contextTimeAt(localMs: number): number {
    return this.#fit.inverse(localMs) / 1000;
  }

  /** The mapping as a line, context ms -> local ms (null until ready): what the media worker uses. */
  get line(): AffineLine | null {
    const l = this.#fit.line;
    return l && this.ready ? { x0: l.x0, y0: l.y0, slope: l.slope } : null;
  }

  /** Local ms per context ms (1 + the sound card's drift against the system clock). */
  get slope(): number {
    return this.#fit.line?.slope ?? 1;
  }

  reset(): void {
    this.#fit.reset();
    this.#pending = [];
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
