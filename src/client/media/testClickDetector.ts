/** A click's onset: the sample value that counts, from below. */
const THRESHOLD = 0.25;
/** Ignore the rest of a click (its ringing) for this long. */
const REFRACTORY_SEC = 0.1;

/**
 * Test build only: finds click onsets in a stream of samples, to a fraction of a sample (the
 * threshold crossing, interpolated). One detector for the probe worklet at a device's output
 * (probe.worklet.ts) and for the loopback page's look at the frames on their way (testing/loopback.ts),
 * so the two agree on where a click is.
 */
export class ClickDetector {
  #last = 0;
  #quietUntil = 0;

  constructor(readonly sampleRate: number) {}

  /** Samples `ch`, the first of which is sample number `start`; `onClick(sample, peak)` per onset. */
  feed(ch: Float32Array, start: number, onClick: (sample: number, peak: number) => void): void {
    for (let i = 0; i < ch.length; i++) {
      const v = Math.abs(ch[i] as number);
      const n = start + i;
      if (n >= this.#quietUntil && v >= THRESHOLD && this.#last < THRESHOLD) {
        onClick(n - 1 + (THRESHOLD - this.#last) / (v - this.#last), v);
        this.#quietUntil = n + REFRACTORY_SEC * this.sampleRate;
      }
      this.#last = v;
    }
  }
}
