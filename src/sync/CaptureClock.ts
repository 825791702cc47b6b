import { LineFit } from './LineFit.js';

/** Arrivals are summarised by their earliest (relative to the context time) in each bucket of this much context time. */
const BUCKET_MS = 100;

/**
 * When the host's audio thread produced each captured sample, on the host clock: the stamps every
 * device plays by (sample stamped t leaves every speaker at t + D).
 *
 * The capture worklet has no wall clock; the media worker notes when each frame reaches it. That
 * is the production time plus a delay that is never negative and usually small (a message hop),
 * but now and then large (the worker or the audio thread was not scheduled). So the stamps are a
 * line fitted to the *earliest* arrival of every 100 ms (a burst of frames that waited together
 * for a stalled worker does not count), over 10 s, without the points more than 5 ms off it:
 * context ms -> local ms, whose slope is the sound card's rate against the system clock (~+200 ppm
 * here). Each refit moves the stamps by tiny amounts, which the receivers' media clock smooths.
 *
 * Measured here: on a loaded 2-core machine the audio thread's schedule wobbles by several ms
 * every second or two and catches up again, so the line does not chase it (a frame that is late
 * for that reason costs D a few ms; a chased wobble would move every device). Only when the
 * earliest arrivals of half a second all lie 20 ms or more off the line did the audio clock really
 * step (it stalled and did not catch up): the line starts over from them and the *epoch* changes,
 * so that receivers refit their media clock at once. Pure.
 */
export class CaptureClock {
  readonly #fit = new LineFit({ windowX: 10_000, maxPoints: 200, outlierY: 5, stepPoints: 5, stepY: 20 }, 1);
  #first: { x: number; y: number } | null = null;
  #bucketStart = Number.NaN;
  #bucketMin: { x: number; y: number } | null = null;
  #epoch = 0;
  #knownSteps = 0;

  /**
   * One captured frame: `ctxMs` is the context time of its first sample, `arrivedMs` when the worker
   * got it (local clock).
   */
  add(ctxMs: number, arrivedMs: number): void {
    if (!Number.isFinite(ctxMs) || !Number.isFinite(arrivedMs)) return;
    this.#first ??= { x: ctxMs, y: arrivedMs };
    if (Number.isNaN(this.#bucketStart)) this.#bucketStart = ctxMs;
    const min = this.#bucketMin;
    if (!min || arrivedMs - ctxMs < min.y - min.x) this.#bucketMin = { x: ctxMs, y: arrivedMs };
    if (ctxMs - this.#bucketStart < BUCKET_MS) return;
    const floor = this.#bucketMin as { x: number; y: number };
    this.#bucketStart = ctxMs;
    this.#bucketMin = null;
    this.#fit.add(floor.x, floor.y);
    if (this.#fit.steps !== this.#knownSteps) {
      this.#knownSteps = this.#fit.steps;
      this.#epoch = (this.#epoch + 1) & 0xffff;
    }
  }

  /** The stamp (local ms) of the sample at context time `ctxMs`; NaN before the first frame. */
  stamp(ctxMs: number): number {
    if (this.#fit.line) return this.#fit.at(ctxMs);
    const f = this.#first;
    return f ? f.y + (ctxMs - f.x) : Number.NaN;
  }

  get ready(): boolean {
    return this.#first !== null;
  }

  /** Changes (mod 65536) whenever the stamps jump: see AudioFrame.epoch. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Local ms per context ms. */
  get slope(): number {
    return this.#fit.line?.slope ?? 1;
  }

  /** Times the audio clock stepped (the epoch changed). */
  get steps(): number {
    return this.#knownSteps;
  }
}
