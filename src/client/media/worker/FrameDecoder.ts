import {
  type AudioFrame,
  FRAME_SAMPLES,
  MEDIA_CHANNELS,
  MEDIA_SAMPLE_RATE,
} from '../../../protocol/mediaWire.js';

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
 * WebCodecs Opus decoding of stamped frames. Every device that plays, the host included, decodes
 * the same packets, so the codec's own delay is the same everywhere and cancels out.
 * A decoder error is counted and the decoder replaced: playback goes on with the next frame.
 */
export class FrameDecoder {
  #decoder: AudioDecoder | null = null;
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

  constructor(readonly sink: DecodedSink) {}

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
    const decoder = this.#ensure();
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
      decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data: frame.payload }));
    } catch {
      this.#fail();
    }
  }

  close(): void {
    this.#closed = true;
    this.#reset();
  }

  #ensure(): AudioDecoder {
    if (this.#decoder && this.#decoder.state === 'configured') return this.#decoder;
    const decoder = new AudioDecoder({ output: (a) => this.#output(a), error: () => this.#fail() });
    decoder.configure({ codec: 'opus', sampleRate: MEDIA_SAMPLE_RATE, numberOfChannels: MEDIA_CHANNELS });
    this.#decoder = decoder;
    return decoder;
  }

  #fail(): void {
    this.#errors++;
    this.#reset();
  }

  #reset(): void {
    const d = this.#decoder;
    this.#decoder = null;
    this.#inFlight.clear();
    if (d && d.state !== 'closed') d.close();
  }

  #output(audio: AudioData): void {
    // Chromium computes output timestamps from sample counts and is 1 us off for stretches
    // (measured here: packets 3277-3355, 6554-..., of a 10 ms stream): round to our 10 ms grid.
    const key = Math.round(audio.timestamp / 10_000) * 10_000;
    if (!this.#inFlight.has(key)) {
      this.unmatched++;
      audio.close();
      return;
    }
    // Packets before this one that gave no output (a decoder error) are not waited for.
    for (const k of this.#inFlight.keys()) {
      if (k >= key) break;
      this.#inFlight.delete(k);
    }
    const id = this.#inFlight.get(key) as InFlight;
    this.#inFlight.delete(key);
    const length = audio.numberOfFrames;
    if (length !== FRAME_SAMPLES || Math.abs(audio.timestamp - key) > 2) this.odd++;
    const channels: Float32Array[] = [];
    for (let ch = 0; ch < MEDIA_CHANNELS; ch++) {
      const plane = new Float32Array(length);
      audio.copyTo(plane, { planeIndex: Math.min(ch, audio.numberOfChannels - 1), format: 'f32-planar' });
      channels.push(plane);
    }
    audio.close();
    this.#maxLag = Math.max(this.#maxLag, performance.now() - id.at);
    this.sink({ streamId: id.streamId, seq: id.seq, t: id.t, epoch: id.epoch, channels, length });
  }
}
