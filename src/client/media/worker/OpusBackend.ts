import { MEDIA_CHANNELS, MEDIA_SAMPLE_RATE } from '../../../protocol/mediaWire.js';
import type { DecoderKind } from '../decoderChoice.js';

/**
 * What FrameDecoder needs of an Opus decoder, so that its bookkeeping (matching outputs to
 * packets, giving up on packets that gave none, starting over after an error) is one piece of code
 * for every back-end: WebCodecs (WebCodecsOpus.ts) where the browser has it, WebAssembly
 * (WasmOpus.ts) where it has not.
 */

/** One packet's decoded samples. */
export interface DecodedAudio {
  /** The timestamp its packet was given to `decode` with (µs). */
  timestamp: number;
  /** Samples per channel. */
  length: number;
  /** MEDIA_CHANNELS planes of `length` samples. */
  channels: Float32Array[];
}

export interface OpusBackendEvents {
  /** A packet's output, in packet order, now or later (WebCodecs answers asynchronously). */
  output(audio: DecodedAudio): void;
  /** The back-end failed and is no longer usable: FrameDecoder makes a new one for the next packet. */
  error(): void;
}

export interface OpusBackend {
  /** Decodes one Opus packet of our stream; `data` may be held until its output is given. */
  decode(timestamp: number, data: Uint8Array): void;
  /** False once it has failed or been closed. */
  readonly usable: boolean;
  /** Frees it; safe to call twice. No output or error follows. */
  close(): void;
}

/** Makes a back-end for the stream's settings (OPUS_CONFIG), reporting to `events`. */
export type OpusBackendFactory = (events: OpusBackendEvents) => OpusBackend;

/** The decoder a worker runs: which one, and how to make it. */
export interface ChosenDecoder {
  kind: DecoderKind;
  backend: OpusBackendFactory;
}

/** The stream every back-end decodes: Opus at 48 kHz, stereo, no codec description (pre-skip 0). */
export const OPUS_CONFIG = {
  codec: 'opus',
  sampleRate: MEDIA_SAMPLE_RATE,
  numberOfChannels: MEDIA_CHANNELS,
} as const;
