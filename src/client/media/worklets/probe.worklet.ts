/**
 * A measuring tap for tests and the benchmark: detects click onsets in what reaches the audio
 * destination and reports the context frame of each (to a fraction of a sample, by interpolating
 * the threshold crossing). The page turns frames into wall-clock times with its OutputClock; all
 * pages of one machine share that clock, so clicks can be compared across listeners.
 */
import { ClickDetector } from '../testClickDetector.js';

class ProbeProcessor extends AudioWorkletProcessor {
  readonly #detector = new ClickDetector(sampleRate);

  process(inputs: Float32Array[][]): boolean {
    const ch = inputs[0]?.[0];
    if (ch) {
      this.#detector.feed(ch, currentFrame, (frame, peak) =>
        this.port.postMessage({ type: 'click', frame, peak }),
      );
    }
    return true;
  }
}

registerProcessor('jamsesh-probe', ProbeProcessor);
