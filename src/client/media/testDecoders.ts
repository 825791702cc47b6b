/**
 * Test build only (testHooks.ts): the two Opus back-ends side by side in this page, for the E2E
 * test that they give the same samples at the same places and for the benchmark's decode-CPU rows.
 * Packets come from this browser's own encoder with the host's settings; they go through the real
 * FrameDecoder, as fast as it takes them.
 */
import { FRAME_SAMPLES, MEDIA_CHANNELS, MEDIA_SAMPLE_RATE } from '../../protocol/mediaWire.js';
import { OPUS_ENCODER_CONFIG } from './capabilities.js';
import type { DecoderKind } from './decoderChoice.js';
import type { DecodeComparison, DecodeRun } from './testHooksApi.js';
import { type DecodedFrame, FrameDecoder } from './worker/FrameDecoder.js';
import type { OpusBackendFactory } from './worker/OpusBackend.js';
import { wasmOpus } from './worker/WasmOpus.js';
import { webCodecsOpus } from './worker/WebCodecsOpus.js';

const BACKENDS: Record<DecoderKind, OpusBackendFactory> = { webcodecs: webCodecsOpus, wasm: wasmOpus };
/** A click every 500 ms over a quiet 220 Hz tone: clicks to find, and music-like content between. */
const CLICK_EVERY = MEDIA_SAMPLE_RATE / 2;

let packets: Uint8Array[] = [];
const decoded = new Map<DecoderKind, Float32Array>();

function sample(n: number): number {
  const k = n % CLICK_EVERY;
  const click = k < 96 ? 0.8 * Math.cos((2 * Math.PI * 3000 * k) / MEDIA_SAMPLE_RATE) * Math.exp(-k / 32) : 0;
  return click + 0.1 * Math.sin((2 * Math.PI * 220 * n) / MEDIA_SAMPLE_RATE);
}

/** Encodes `seconds` of the test signal into 10 ms Opus packets; returns how many. */
export async function prepareDecodeTest(seconds: number): Promise<number> {
  const out: Uint8Array[] = [];
  const encoder = new AudioEncoder({
    output: (chunk) => {
      const bytes = new Uint8Array(chunk.byteLength);
      chunk.copyTo(bytes);
      out.push(bytes);
    },
    error: (e) => console.warn('test encoder failed', e),
  });
  encoder.configure({ ...OPUS_ENCODER_CONFIG, opus: { ...OPUS_ENCODER_CONFIG.opus, complexity: 9 } });
  const frames = Math.round((seconds * MEDIA_SAMPLE_RATE) / FRAME_SAMPLES);
  for (let f = 0; f < frames; f++) {
    const data = new Float32Array(FRAME_SAMPLES * MEDIA_CHANNELS);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const v = sample(f * FRAME_SAMPLES + i);
      data[i] = v;
      data[FRAME_SAMPLES + i] = v;
    }
    const audio = new AudioData({
      format: 'f32-planar',
      sampleRate: MEDIA_SAMPLE_RATE,
      numberOfChannels: MEDIA_CHANNELS,
      numberOfFrames: FRAME_SAMPLES,
      timestamp: f * 10_000,
      data,
    });
    encoder.encode(audio);
    audio.close();
  }
  await encoder.flush();
  encoder.close();
  packets = out;
  decoded.clear();
  return out.length;
}

/** Decodes the prepared packets with one back-end (module loading included once, before timing). */
export async function decodePrepared(kind: DecoderKind): Promise<DecodeRun> {
  // A first packet alone, so that loading the WebAssembly module is not counted as decoding.
  await decodeThrough(kind, packets.slice(0, 1));
  const started = performance.now();
  const { frames, decoder } = await decodeThrough(kind, packets);
  const ms = performance.now() - started;
  const pcm = new Float32Array(frames.length * FRAME_SAMPLES);
  for (const [i, f] of frames.entries()) {
    pcm.set((f.channels[0] as Float32Array).subarray(0, FRAME_SAMPLES), i * FRAME_SAMPLES);
  }
  decoded.set(kind, pcm);
  return {
    kind,
    ms,
    audioSeconds: (packets.length * FRAME_SAMPLES) / MEDIA_SAMPLE_RATE,
    frames: frames.length,
    inOrder: frames.every((f, i) => f.seq === i),
    odd: decoder.odd,
    unmatched: decoder.unmatched,
    errors: decoder.errors,
  };
}

/** Where the clicks came out in each back-end's output, and how far the samples differ. */
export function compareDecodes(): DecodeComparison {
  const a = decoded.get('webcodecs') ?? new Float32Array();
  const b = decoded.get('wasm') ?? new Float32Array();
  const n = Math.min(a.length, b.length);
  let maxDiff = 0;
  let diff2 = 0;
  let sig2 = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    maxDiff = Math.max(maxDiff, d);
    diff2 += d * d;
    sig2 += (a[i] as number) ** 2;
  }
  return {
    samples: [a.length, b.length],
    clicks: { webcodecs: clickStarts(a), wasm: clickStarts(b) },
    maxDiff,
    relativeRms: sig2 > 0 ? Math.sqrt(diff2 / sig2) : Number.NaN,
  };
}

/** The first loud sample of each click (the tone between stays far below the threshold). */
function clickStarts(pcm: Float32Array): number[] {
  const starts: number[] = [];
  for (let i = 0; i < pcm.length; i++) {
    if (
      Math.abs(pcm[i] as number) > 0.4 &&
      (starts.length === 0 || i - (starts.at(-1) as number) > CLICK_EVERY / 2)
    )
      starts.push(i);
  }
  return starts;
}

function decodeThrough(
  kind: DecoderKind,
  list: Uint8Array[],
): Promise<{ frames: DecodedFrame[]; decoder: FrameDecoder }> {
  return new Promise((resolve) => {
    const frames: DecodedFrame[] = [];
    let decoder: FrameDecoder;
    const done = () => {
      decoder.close();
      resolve({ frames, decoder });
    };
    // Nothing more comes 2 s after the last output: a frame that never came is counted missing.
    let quiet = setTimeout(done, 2000);
    decoder = new FrameDecoder((f) => {
      frames.push(f);
      clearTimeout(quiet);
      if (frames.length === list.length) done();
      else quiet = setTimeout(done, 2000);
    }, BACKENDS[kind]);
    for (const [seq, payload] of list.entries()) {
      decoder.decode({ flags: 0, streamId: 1, seq, t: seq * 10, samples: FRAME_SAMPLES, epoch: 0, payload });
    }
  });
}
