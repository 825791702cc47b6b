import type { OpusDecoder } from 'opus-decoder';
import { MEDIA_CHANNELS } from '../../../protocol/mediaWire.js';
import { OPUS_CONFIG, type OpusBackend, type OpusBackendEvents } from './OpusBackend.js';

type WasmOpusModule = typeof import('opus-decoder');
type Decoder = OpusDecoder<typeof OPUS_CONFIG.sampleRate>;

let loading: Promise<WasmOpusModule> | null = null;
/**
 * How long a decoder may take to be ready. The package's promise never settles when the page may
 * not compile WebAssembly (a Content-Security-Policy without 'wasm-unsafe-eval'): this turns that
 * into an error the worker counts, instead of silence.
 */
const READY_WITHIN_MS = 10_000;

/**
 * Loads the WebAssembly Opus decoder (npm `opus-decoder`: libopus built for the web, its wasm
 * inside the script). A separate chunk of our own build, fetched only by a device that uses it.
 */
export function loadWasmOpus(): Promise<WasmOpusModule> {
  if (!loading) {
    loading = import('opus-decoder');
    // A failed fetch (the network blinked) is tried again by the next back-end.
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/**
 * libopus in WebAssembly, for browsers whose WebCodecs has no Opus decoder (Firefox on Android,
 * Safari before 26) or when forced (decoderChoice.ts). Pre-skip 0, like the WebCodecs decoder
 * without a description: every packet gives its 480 samples, codec delay included, so this device
 * plays the same samples at the same instants as one decoding with WebCodecs. Packets that come
 * while the module loads and compiles wait, and are decoded in order once it is ready.
 */
export function wasmOpus(events: OpusBackendEvents): OpusBackend {
  let decoder: Decoder | null = null;
  let closed = false;
  let failed = false;
  const waiting: Array<[number, Uint8Array]> = [];

  const fail = () => {
    if (closed || failed) return;
    failed = true;
    waiting.length = 0;
    events.error();
  };
  const run = (d: Decoder, timestamp: number, data: Uint8Array) => {
    let out: ReturnType<Decoder['decodeFrame']>;
    try {
      out = d.decodeFrame(data);
    } catch {
      fail();
      return;
    }
    // A packet libopus refuses (corrupt) gives no samples, as it errors a WebCodecs decoder.
    if (out.errors.length > 0 || out.samplesDecoded === 0) {
      fail();
      return;
    }
    const channels: Float32Array[] = [];
    for (let ch = 0; ch < MEDIA_CHANNELS; ch++) {
      channels.push(out.channelData[Math.min(ch, out.channelData.length - 1)] as Float32Array);
    }
    events.output({ timestamp, length: out.samplesDecoded, channels });
  };

  loadWasmOpus()
    .then(async ({ OpusDecoder }) => {
      const d = new OpusDecoder({
        channels: OPUS_CONFIG.numberOfChannels,
        sampleRate: OPUS_CONFIG.sampleRate,
        preSkip: 0,
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('WebAssembly Opus decoder not ready')), READY_WITHIN_MS);
      });
      await Promise.race([d.ready, late]).finally(() => clearTimeout(timer));
      if (closed) {
        d.free();
        return;
      }
      decoder = d;
      for (const [timestamp, data] of waiting.splice(0)) {
        if (failed) return;
        run(d, timestamp, data);
      }
    })
    .catch(fail);

  return {
    decode(timestamp, data) {
      if (closed || failed) return;
      if (decoder) run(decoder, timestamp, data);
      else waiting.push([timestamp, data]);
    },
    get usable() {
      return !closed && !failed;
    },
    close() {
      if (closed) return;
      closed = true;
      waiting.length = 0;
      decoder?.free();
      decoder = null;
    },
  };
}
