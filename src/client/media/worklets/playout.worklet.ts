/**
 * The playout: runs the pure PlayoutCore on the audio thread. The media worker sends decoded frames
 * and, every 100 ms, the timing: which media time must leave the speaker at which context time (a
 * line, composed of the output clock, the clock sync and the room delay). Each render quantum
 * evaluates that line at its first sample and asks the core for exactly that media. The page
 * connects the worker (a `port` message) and may silence the playout; it receives the stats.
 */
import { MAX_DELAY_MS } from '../../../sync/DelayPolicy.js';
import { PlayoutCore } from '../../../sync/PlayoutCore.js';
import type { TimingLine } from '../../../sync/TimingLine.js';

export type PlayoutIn =
  | { type: 'frame'; t: number; channels: Float32Array[]; length: number }
  | { type: 'timing'; line: TimingLine | null }
  | { type: 'flush' }
  /** A port from the media worker, which sends the other messages from now on. */
  | { type: 'port'; port: MessagePort };

const STATS_EVERY_SEC = 0.25;

class PlayoutProcessor extends AudioWorkletProcessor {
  // A hard resync from 8 ms: errors that large come from a step in the output clock (an output
  // underrun under load, a device change), which is already audible; jumping back into place at once
  // (with a crossfade) beats seconds of slewing while out of sync.
  // The ring holds the longest room delay and a second more: frames wait in it for up to D, and a
  // D beyond the ring's reach (it was 2 s against a D of up to 3 s) silenced every device.
  readonly #core = new PlayoutCore({
    sampleRate,
    channels: 2,
    hardThresholdMs: 8,
    capacityMs: MAX_DELAY_MS + 1000,
  });
  #line: TimingLine | null = null;
  #nextStats = 0;
  #worker: MessagePort | null = null;

  constructor() {
    super();
    const handle = (e: MessageEvent<PlayoutIn>) => {
      const m = e.data;
      if (m.type === 'frame') this.#core.push(m.t, m.channels, m.length);
      else if (m.type === 'timing') this.#line = m.line;
      else if (m.type === 'flush') this.#core.flush();
      else if (m.type === 'port' && e.target === this.port) {
        this.#worker?.close();
        this.#worker = m.port;
        m.port.onmessage = handle;
      }
    };
    this.port.onmessage = handle;
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
