/**
 * A measuring tap for tests and the benchmark: detects click onsets in what reaches the audio
 * destination and reports the context frame of each (to a fraction of a sample, by interpolating
 * the threshold crossing). The page turns frames into wall-clock times with its OutputClock; all
 * pages of one machine share that clock, so clicks can be compared across listeners.
 */
const THRESHOLD = 0.25;
/** Ignore the rest of a click (its ringing) for this long. */
const REFRACTORY_SEC = 0.1;

class ProbeProcessor extends AudioWorkletProcessor {
  #last = 0;
  #quietUntil = 0;

  process(inputs: Float32Array[][]): boolean {
    const ch = inputs[0]?.[0];
    if (!ch) return true;
    for (let i = 0; i < ch.length; i++) {
      const v = Math.abs(ch[i] as number);
      const frame = currentFrame + i;
      if (frame >= this.#quietUntil && v >= THRESHOLD && this.#last < THRESHOLD) {
        const frac = (THRESHOLD - this.#last) / (v - this.#last);
        this.port.postMessage({ type: 'click', frame: frame - 1 + frac, peak: v });
        this.#quietUntil = frame + REFRACTORY_SEC * sampleRate;
      }
      this.#last = v;
    }
    return true;
  }
}

registerProcessor('jamsesh-probe', ProbeProcessor);
