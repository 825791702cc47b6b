import { type AudioFrame, FRAME_SAMPLES } from '../../../protocol/mediaWire.js';
import type { DecodedAudio, OpusBackend, OpusBackendFactory } from './OpusBackend.js';

/** A decoded frame: its identity and stamp (see AudioFrame) and its samples. */
export interface DecodedFrame {
  streamId: number;
  seq: number;
  t: number;
  epoch: number;
  channels: Float32Array[];
  length: number;
}

/** A packet given to the decoder: its identity, and when (performance.now()). */
type InFlight = Pick<AudioFrame, 'streamId' | 'seq' | 't' | 'epoch'> & { at: number };

export type DecodedSink = (frame: DecodedFrame) => void;

/**
 * Opus decoding of stamped frames, through a back-end (OpusBackend.ts: WebCodecs or WebAssembly).
 * Every device that plays, the host included, decodes the same packets with no trimming, so the
 * codec's own delay is the same everywhere and cancels out. A back-end error is counted and the
 * back-end replaced: playback goes on with the next frame.
 */
export class FrameDecoder {
  #backend: OpusBackend | null = null;
  /** Decoder timestamp (µs) -> frame identity, to stamp the decoded output. */
  readonly #inFlight = new Map<number, InFlight>();
  /** Longest decode (call to output) since the last takeMaxLag(), ms. */
  #maxLag = 0;
  /** Outputs whose timestamp named no packet in flight (dropped; diagnostics). */
  unmatched = 0;
  /**
   * Outputs not exactly FRAME_SAMPLES long or not on our timestamp grid (diagnostics: a decoder that
   * trimmed its start or shifted its timeline would play the stream displaced on this device).
   */
  odd = 0;
  #errors = 0;
  #count = 0;
  #closed = false;

  constructor(
    readonly sink: DecodedSink,
    readonly backend: OpusBackendFactory,
  ) {}

  get errors(): number {
    return this.#errors;
  }

  takeMaxLag(): number {
    const m = this.#maxLag;
    this.#maxLag = 0;
    return m;
  }

  decode(frame: AudioFrame): void {
    if (this.#closed) return;
    let backend: OpusBackend;
    try {
      backend = this.#ensure();
    } catch {
      this.#fail();
      return;
    }
    // Our own running count, not the frame's numbers: unique, increasing, and exact as a double.
    const timestamp = this.#count++ * 10_000;
    this.#inFlight.set(timestamp, {
      streamId: frame.streamId,
      seq: frame.seq,
      t: frame.t,
      epoch: frame.epoch,
      at: performance.now(),
    });
    try {
      backend.decode(timestamp, frame.payload);
    } catch {
      this.#fail();
    }
  }

  close(): void {
    this.#closed = true;
    this.#reset();
  }

  #ensure(): OpusBackend {
    if (this.#backend?.usable) return this.#backend;
    // One that stopped without a word (none known) gives no more outputs: forget what it held.
    this.#reset();
    // A back-end calls back only while it is ours: close() silences an old one.
    const backend = this.backend({
      output: (a) => {
        if (backend === this.#backend) this.#output(a);
      },
      error: () => {
        if (backend === this.#backend) this.#fail();
      },
    });
    this.#backend = backend;
    return backend;
  }

  #fail(): void {
    this.#errors++;
    this.#reset();
  }

  #reset(): void {
    const b = this.#backend;
    this.#backend = null;
    this.#inFlight.clear();
    b?.close();
  }

  #output(audio: DecodedAudio): void {
    // Chromium computes output timestamps from sample counts and is 1 us off for stretches
    // (measured here: packets 3277-3355, 6554-..., of a 10 ms stream): round to our 10 ms grid.
    const key = Math.round(audio.timestamp / 10_000) * 10_000;
    if (!this.#inFlight.has(key)) {
      this.unmatched++;
      return;
    }
    // Packets before this one that gave no output (a decoder error) are not waited for.
    for (const k of this.#inFlight.keys()) {
      if (k >= key) break;
      this.#inFlight.delete(k);
    }
    const id = this.#inFlight.get(key) as InFlight;
    this.#inFlight.delete(key);
    if (audio.length !== FRAME_SAMPLES || Math.abs(audio.timestamp - key) > 2) this.odd++;
    this.#maxLag = Math.max(this.#maxLag, performance.now() - id.at);
    this.sink({
      streamId: id.streamId,
      seq: id.seq,
      t: id.t,
      epoch: id.epoch,
      channels: audio.channels,
      length: audio.length,
    });
  }
}
