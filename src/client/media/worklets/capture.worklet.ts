/**
 * Captures what the host's source plays, in frames of FRAME_SAMPLES stereo samples, each with the
 * context frame of its first sample, and posts them to the main thread for encoding. Buffers are
 * recycled (the main thread sends them back) so the audio thread does not allocate as it runs.
 */
import { FRAME_SAMPLES } from '../../../protocol/mediaWire.js';

export interface CapturedFrame {
  type: 'frame';
  /** Context frame (sample index) of the first sample. */
  startFrame: number;
  left: Float32Array;
  right: Float32Array;
}

class CaptureProcessor extends AudioWorkletProcessor {
  #pool: Float32Array<ArrayBuffer>[] = [];
  #left = new Float32Array(FRAME_SAMPLES);
  #right = new Float32Array(FRAME_SAMPLES);
  #fill = 0;
  #start = 0;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<{ type: 'recycle'; buffers: Float32Array<ArrayBuffer>[] }>) => {
      if (e.data.type === 'recycle')
        for (const b of e.data.buffers) if (b.length === FRAME_SAMPLES) this.#pool.push(b);
    };
  }

  process(inputs: Float32Array[][]): boolean {
    const input = inputs[0] ?? [];
    const l = input[0];
    const r = input[1] ?? l;
    const n = 128;
    for (let i = 0; i < n; i++) {
      if (this.#fill === 0) this.#start = currentFrame + i;
      this.#left[this.#fill] = l ? (l[i] as number) : 0;
      this.#right[this.#fill] = r ? (r[i] as number) : 0;
      this.#fill++;
      if (this.#fill === FRAME_SAMPLES) {
        const frame: CapturedFrame = {
          type: 'frame',
          startFrame: this.#start,
          left: this.#left,
          right: this.#right,
        };
        this.port.postMessage(frame, [this.#left.buffer, this.#right.buffer]);
        this.#left = this.#pool.pop() ?? new Float32Array(FRAME_SAMPLES);
        this.#right = this.#pool.pop() ?? new Float32Array(FRAME_SAMPLES);
        this.#fill = 0;
      }
    }
    return true;
  }
}

registerProcessor('jamsesh-capture', CaptureProcessor);
