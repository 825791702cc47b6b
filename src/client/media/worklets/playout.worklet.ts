/**
 * The playout: runs the pure PlayoutCore on the audio thread. The main thread sends decoded frames
 * and, every few tens of ms, the timing: which media time must leave the speaker at which context
 * time (a line, composed of the output clock, the clock sync and the room delay). Each render
 * quantum evaluates that line at its first sample and asks the core for exactly that media.
 */
import { PlayoutCore } from '../../../sync/PlayoutCore.js';

export interface TimingLine {
  /** Context time (ms) of the reference point. */
  ctxRefMs: number;
  /** Media time (ms) that must leave the speaker at ctxRefMs. */
  mediaRef: number;
  /** Media ms per context ms. */
  slope: number;
}

export type PlayoutIn =
  | { type: 'frame'; t: number; channels: Float32Array[]; length: number }
  | { type: 'timing'; line: TimingLine | null }
  | { type: 'flush' };

const STATS_EVERY_SEC = 0.25;

class PlayoutProcessor extends AudioWorkletProcessor {
  // A hard resync from 8 ms: errors that large come from a step in the output clock (an output
  // underrun under load, a device change), which is already audible; jumping back into place at once
  // (with a crossfade) beats seconds of slewing while out of sync.
  readonly #core = new PlayoutCore({ sampleRate, channels: 2, hardThresholdMs: 8 });
  #line: TimingLine | null = null;
  #nextStats = 0;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<PlayoutIn>) => {
      const m = e.data;
      if (m.type === 'frame') this.#core.push(m.t, m.channels, m.length);
      else if (m.type === 'timing') this.#line = m.line;
      else if (m.type === 'flush') this.#core.flush();
    };
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0];
    if (!out || out.length === 0) return true;
    const frames = (out[0] as Float32Array).length;
    const line = this.#line;
    if (line) {
      const ctxMs = (currentFrame / sampleRate) * 1000;
      this.#core.render(out, frames, line.mediaRef + line.slope * (ctxMs - line.ctxRefMs));
    } else {
      for (const ch of out) ch.fill(0);
    }
    if (currentTime >= this.#nextStats) {
      this.#nextStats = currentTime + STATS_EVERY_SEC;
      this.port.postMessage({ type: 'stats', stats: this.#core.stats() });
    }
    return true;
  }
}

registerProcessor('jamsesh-playout', PlayoutProcessor);
