/**
 * Captures what the host's source plays, in frames of FRAME_SAMPLES stereo samples, each with the
 * context frame of its first sample, and posts them to the media worker for encoding (over a port
 * the page hands it; until then frames are dropped). Buffers are recycled (the worker sends them
 * back) so the audio thread does not allocate as it runs.
 */
import { FRAME_SAMPLES } from '../../../protocol/mediaWire.js';

export interface CapturedFrame {
  type: 'frame';
  /** Context frame (sample index) of the first sample. */
  startFrame: number;
  left: Float32Array;
  right: Float32Array;
}

export type CaptureIn =
  | { type: 'port'; port: MessagePort }
  | { type: 'recycle'; buffers: Float32Array<ArrayBuffer>[] };

class CaptureProcessor extends AudioWorkletProcessor {
  #pool: Float32Array<ArrayBuffer>[] = [];
  #left = new Float32Array(FRAME_SAMPLES);
  #right = new Float32Array(FRAME_SAMPLES);
  #fill = 0;
  #start = 0;
  #worker: MessagePort | null = null;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<CaptureIn>) => {
      if (e.data.type !== 'port') return;
      this.#worker?.close();
      const port = e.data.port;
      this.#worker = port;
      port.onmessage = (r: MessageEvent<CaptureIn>) => {
        if (r.data.type === 'recycle')
          for (const b of r.data.buffers) if (b.length === FRAME_SAMPLES) this.#pool.push(b);
      };
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
        if (!this.#worker) {
          this.#fill = 0;
          continue;
        }
        this.#worker.postMessage(frame, [this.#left.buffer, this.#right.buffer]);
        this.#left = this.#pool.pop() ?? new Float32Array(FRAME_SAMPLES);
        this.#right = this.#pool.pop() ?? new Float32Array(FRAME_SAMPLES);
        this.#fill = 0;
      }
    }
    return true;
  }
}

registerProcessor('jamsesh-capture', CaptureProcessor);
