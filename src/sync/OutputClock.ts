import { LineFit } from './LineFit.js';

/**
 * Where the sound really leaves this device, as far as the browser can tell: a line from the audio
 * context's time to the local clock (performance.timeOrigin + performance.now(), ms), fitted to
 * `AudioContext.getOutputTimestamp()` readings.
 *
 * Why a fit and not one reading (measured here, docs/sync.md): a single reading was 10-170 ms off
 * while the output ramped up after a start or an underrun; the median of readings from a stable
 * window brought three Chromium instances to ~0.5 ms of each other. In Chromium `contextTime` already
 * includes the output delay, so `outputLatency` is not subtracted again. The context runs on the sound
 * card's clock (~+200 ppm against the system clock here), which the fitted slope absorbs.
 */
export class OutputClock {
  readonly #fit = new LineFit(
    {
      windowX: 10_000, // ms of context time
      maxPoints: 600,
      outlierY: 2, // ms: readings delayed by an OS stall
      stepPoints: 8, // ~8 readings (160-400 ms) off by > 3 ms on one side: the output clock stepped
      stepY: 3,
    },
    1,
  );

  /**
   * One `getOutputTimestamp()` reading. `timeOrigin` turns its performanceTime into the local clock.
   * Readings from before the output started (performanceTime 0) are ignored.
   */
  addReading(contextTimeSec: number, performanceTimeMs: number, timeOrigin: number): void {
    if (!(performanceTimeMs > 0) || !(contextTimeSec > 0)) return;
    this.#fit.add(contextTimeSec * 1000, timeOrigin + performanceTimeMs);
  }

  get ready(): boolean {
    return (this.#fit.line?.n ?? 0) >= 5;
  }

  /** How many times the output clock stepped (an underrun, a device change). */
  get steps(): number {
    return this.#fit.steps;
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

  /** Local ms per context ms (1 + the sound card's drift against the system clock). */
  get slope(): number {
    return this.#fit.line?.slope ?? 1;
  }

  reset(): void {
    this.#fit.reset();
  }
}
