import { type AudioFrame, MEDIA_CHANNELS, MEDIA_SAMPLE_RATE } from '../../protocol/media.js';

export type DecodedSink = (
  streamId: number,
  seq: number,
  t: number,
  channels: Float32Array[],
  length: number,
) => void;

/**
 * WebCodecs Opus decoding of stamped frames. Every device that plays, the host included, decodes
 * the same packets, so the codec's own delay is the same everywhere and cancels out.
 * A decoder error is counted and the decoder replaced: playback goes on with the next frame.
 */
export class FrameDecoder {
  #decoder: AudioDecoder | null = null;
  /** Decoder timestamp (µs) -> frame identity, to stamp the decoded output. */
  readonly #inFlight = new Map<number, { streamId: number; seq: number; t: number }>();
  #errors = 0;
  #count = 0;
  #closed = false;

  constructor(readonly sink: DecodedSink) {}

  get errors(): number {
    return this.#errors;
  }

  decode(frame: AudioFrame): void {
    if (this.#closed) return;
    const decoder = this.#ensure();
    // Our own running count, not the frame's numbers: unique, increasing, and exact as a double.
    const timestamp = this.#count++ * 10_000;
    this.#inFlight.set(timestamp, { streamId: frame.streamId, seq: frame.seq, t: frame.t });
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
    const id = this.#inFlight.get(audio.timestamp);
    this.#inFlight.delete(audio.timestamp);
    if (!id) {
      audio.close();
      return;
    }
    const length = audio.numberOfFrames;
    const channels: Float32Array[] = [];
    for (let ch = 0; ch < MEDIA_CHANNELS; ch++) {
      const plane = new Float32Array(length);
      audio.copyTo(plane, { planeIndex: Math.min(ch, audio.numberOfChannels - 1), format: 'f32-planar' });
      channels.push(plane);
    }
    audio.close();
    this.sink(id.streamId, id.seq, id.t, channels, length);
  }
}
