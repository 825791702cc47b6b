import OpusScript from 'opusscript';
import { describe, expect, it } from 'vitest';
import {
  type AudioFrame,
  FRAME_SAMPLES,
  MEDIA_CHANNELS,
  MEDIA_SAMPLE_RATE,
  OPUS_DELAY_SAMPLES,
} from '../../../protocol/mediaWire.js';
import { type DecodedFrame, FrameDecoder } from './FrameDecoder.js';
import type { OpusBackend, OpusBackendEvents, OpusBackendFactory } from './OpusBackend.js';
import { wasmOpus } from './WasmOpus.js';

/** A frame of our stream: seq n, stamped n * 10 ms. */
function frame(seq: number, payload = new Uint8Array([seq & 0xff]), streamId = 7): AudioFrame {
  return { flags: 0, streamId, seq, t: 1000 + seq * 10, samples: FRAME_SAMPLES, epoch: 1, payload };
}

/**
 * A back-end the test drives: it records each packet and answers only when told (as WebCodecs
 * answers later, on its own task), with `length` samples per channel.
 */
class ScriptedBackend implements OpusBackend {
  readonly packets: Array<{ timestamp: number; data: Uint8Array }> = [];
  closed = false;
  failed = false;
  constructor(readonly events: OpusBackendEvents) {}
  decode(timestamp: number, data: Uint8Array): void {
    this.packets.push({ timestamp, data });
  }
  get usable(): boolean {
    return !this.closed && !this.failed;
  }
  close(): void {
    this.closed = true;
  }
  /** Answers the i-th packet it was given. */
  answer(i: number, length = FRAME_SAMPLES, shiftUs = 0): void {
    const p = this.packets[i] as { timestamp: number; data: Uint8Array };
    const channels = Array.from({ length: MEDIA_CHANNELS }, () =>
      new Float32Array(length).fill(p.data[0] ?? 0),
    );
    this.events.output({ timestamp: p.timestamp + shiftUs, length, channels });
  }
  fail(): void {
    this.failed = true;
    this.events.error();
  }
}

function scripted(): { factory: OpusBackendFactory; made: ScriptedBackend[] } {
  const made: ScriptedBackend[] = [];
  return {
    made,
    factory: (events) => {
      const b = new ScriptedBackend(events);
      made.push(b);
      return b;
    },
  };
}

function decoderWith(factory: OpusBackendFactory): { decoder: FrameDecoder; out: DecodedFrame[] } {
  const out: DecodedFrame[] = [];
  return { decoder: new FrameDecoder((f) => out.push(f), factory), out };
}

describe('FrameDecoder, over any back-end', () => {
  it('stamps each output with the identity of the packet it came from, whenever it comes', () => {
    const { factory, made } = scripted();
    const { decoder, out } = decoderWith(factory);
    for (const seq of [40, 41, 42]) decoder.decode(frame(seq));
    const b = made[0] as ScriptedBackend;
    expect(made).toHaveLength(1);
    b.answer(0);
    b.answer(1);
    b.answer(2);
    expect(out.map((f) => [f.seq, f.t, f.streamId, f.epoch, f.length])).toEqual([
      [40, 1400, 7, 1, 480],
      [41, 1410, 7, 1, 480],
      [42, 1420, 7, 1, 480],
    ]);
    expect(out[1]?.channels.map((c) => c[0])).toEqual([41, 41]);
    expect([decoder.unmatched, decoder.odd, decoder.errors]).toEqual([0, 0, 0]);
  });

  it('gives each packet a timestamp of its own on a 10 ms grid, whatever the frames are numbered', () => {
    const { factory, made } = scripted();
    const { decoder } = decoderWith(factory);
    decoder.decode(frame(9, undefined, 1));
    decoder.decode(frame(0, undefined, 2));
    expect(made[0]?.packets.map((p) => p.timestamp)).toEqual([0, 10_000]);
  });

  it('rounds an output timestamp a microsecond off the grid (as Chromium gives) to its packet', () => {
    const { factory, made } = scripted();
    const { decoder, out } = decoderWith(factory);
    decoder.decode(frame(1));
    decoder.decode(frame(2));
    made[0]?.answer(0);
    made[0]?.answer(1, FRAME_SAMPLES, -1);
    expect(out.map((f) => f.seq)).toEqual([1, 2]);
    expect(decoder.odd).toBe(0);
  });

  it('does not wait for a packet that gave no output once a later one has', () => {
    const { factory, made } = scripted();
    const { decoder, out } = decoderWith(factory);
    for (const seq of [1, 2, 3]) decoder.decode(frame(seq));
    const b = made[0] as ScriptedBackend;
    b.answer(1);
    b.answer(0);
    b.answer(2);
    expect(out.map((f) => f.seq)).toEqual([2, 3]);
    expect(decoder.unmatched).toBe(1);
  });

  it('counts an output of another length, or off its packet, as odd (it would play displaced)', () => {
    const { factory, made } = scripted();
    const { decoder, out } = decoderWith(factory);
    decoder.decode(frame(1));
    decoder.decode(frame(2));
    made[0]?.answer(0, FRAME_SAMPLES - 312);
    made[0]?.answer(1, FRAME_SAMPLES, 50);
    expect(out.map((f) => f.length)).toEqual([168, 480]);
    expect(decoder.odd).toBe(2);
  });

  it('after a back-end error, counts it, drops what was in flight and decodes on with a new one', () => {
    const { factory, made } = scripted();
    const { decoder, out } = decoderWith(factory);
    decoder.decode(frame(1));
    decoder.decode(frame(2));
    const first = made[0] as ScriptedBackend;
    first.fail();
    expect(decoder.errors).toBe(1);
    expect(first.closed).toBe(true);
    // A late answer from the failed one is not taken for the new one's.
    first.answer(1);
    decoder.decode(frame(3));
    expect(made).toHaveLength(2);
    made[1]?.answer(0);
    expect(out.map((f) => f.seq)).toEqual([3]);
    expect(decoder.unmatched).toBe(0);
  });

  it('counts a back-end that cannot be made as an error, and tries again with the next frame', () => {
    let calls = 0;
    const inner = scripted();
    const { decoder, out } = decoderWith((events) => {
      if (calls++ === 0) throw new DOMException('no', 'NotSupportedError');
      return inner.factory(events);
    });
    decoder.decode(frame(1));
    expect(decoder.errors).toBe(1);
    decoder.decode(frame(2));
    inner.made[0]?.answer(0);
    expect(out.map((f) => f.seq)).toEqual([2]);
  });

  it('closes its back-end on close, and takes no frame after', () => {
    const { factory, made } = scripted();
    const { decoder, out } = decoderWith(factory);
    decoder.decode(frame(1));
    decoder.close();
    decoder.close();
    expect(made[0]?.closed).toBe(true);
    made[0]?.answer(0);
    decoder.decode(frame(2));
    expect(out).toEqual([]);
    expect(made).toHaveLength(1);
  });
});

/** Real Opus packets of our stream's settings (libopus through opusscript), 10 ms each. */
function encodeOpus(pcm: (n: number) => number, frames: number): Uint8Array<ArrayBuffer>[] {
  const encoder = new OpusScript(MEDIA_SAMPLE_RATE, MEDIA_CHANNELS, OpusScript.Application.AUDIO);
  encoder.setBitrate(128_000);
  const packets: Uint8Array<ArrayBuffer>[] = [];
  const block = new Int16Array(FRAME_SAMPLES * MEDIA_CHANNELS);
  for (let k = 0; k < frames; k++) {
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const v = Math.round(pcm(k * FRAME_SAMPLES + i) * 32767);
      block[2 * i] = v;
      block[2 * i + 1] = v;
    }
    // It reads the PCM's bytes (a Buffer in its types; any byte array does).
    const bytes = new Uint8Array(block.buffer) as unknown as Parameters<OpusScript['encode']>[0];
    packets.push(new Uint8Array(encoder.encode(bytes, FRAME_SAMPLES)));
  }
  encoder.delete();
  return packets;
}

/** A click (a decaying 3 kHz burst) at each of these input samples, silence elsewhere. */
function clicksAt(starts: number[]): (n: number) => number {
  return (n) => {
    const s = starts.find((x) => n >= x && n < x + 96);
    return s === undefined
      ? 0
      : 0.9 * Math.cos((2 * Math.PI * 3000 * (n - s)) / MEDIA_SAMPLE_RATE) * Math.exp(-(n - s) / 32);
  };
}

/** Where the decoded stream first goes loud, in samples from the first frame's start. */
function firstLoud(frames: DecodedFrame[], from = 0): number {
  const all = frames.flatMap((f) => [...(f.channels[0] as Float32Array)]);
  return all.findIndex((v, i) => i >= from && Math.abs(v) > 0.3);
}

/**
 * Decodes `packets` through the WebAssembly back-end, given all at once (before its module has
 * loaded), or from packet `warm` on only once the first ones have come out, as frames come in life.
 */
async function decodeAll(packets: Uint8Array<ArrayBuffer>[], warm = 0) {
  const { decoder, out } = decoderWith(wasmOpus);
  const give = (from: number, to: number) => {
    for (let seq = from; seq < to; seq++) decoder.decode(frame(seq, packets[seq] as Uint8Array<ArrayBuffer>));
  };
  give(0, warm);
  await expect.poll(() => out.length, { timeout: 10_000 }).toBe(warm);
  give(warm, packets.length);
  await expect.poll(() => out.at(-1)?.seq, { timeout: 10_000 }).toBe(packets.length - 1);
  return { decoder, out };
}

describe('FrameDecoder, over libopus in WebAssembly (the fallback back-end)', () => {
  it('decodes real Opus packets: one 480-sample stereo frame each, stamped, nothing odd', async () => {
    const packets = encodeOpus((n) => 0.5 * Math.sin((2 * Math.PI * 440 * n) / MEDIA_SAMPLE_RATE), 100);
    // Every packet is given at once, before the module has loaded: they wait and decode in order.
    const { decoder, out } = await decodeAll(packets);
    expect(out.map((f) => f.seq)).toEqual(packets.map((_, i) => i));
    expect(out.every((f) => f.length === FRAME_SAMPLES && f.channels.length === MEDIA_CHANNELS)).toBe(true);
    expect(out.map((f) => f.t)).toEqual(packets.map((_, i) => 1000 + i * 10));
    expect([decoder.unmatched, decoder.odd, decoder.errors]).toEqual([0, 0, 0]);
    // The sine comes back (after the codec's start-up), at its level.
    const peak = Math.max(...(out[50]?.channels[0] ?? []).map(Math.abs));
    expect(peak).toBeGreaterThan(0.45);
    expect(peak).toBeLessThan(0.55);
  });

  it("trims nothing: a click comes out the encoder's lookahead later, as WebCodecs gives it", async () => {
    // mediaWire.ts: with WebCodecs a click at input sample 100 decodes at 412 (OPUS_DELAY_SAMPLES
    // later); receivers place audio that much earlier. A decoder that skipped the pre-skip would
    // play 6.5 ms early on this device.
    const starts = [100, 48_100];
    const { out } = await decodeAll(encodeOpus(clicksAt(starts), 150));
    for (const s of starts) {
      expect(Math.abs(firstLoud(out, s) - (s + OPUS_DELAY_SAMPLES))).toBeLessThanOrEqual(2);
    }
  });

  it('after a corrupt packet, counts an error and decodes the next packets with a new decoder', async () => {
    const packets = encodeOpus(clicksAt([100, 24_100]), 100);
    // An Opus packet whose TOC says "code 3" (several frames) with a frame count of 0 is invalid.
    packets[40] = new Uint8Array([0xfb, 0x00]);
    const { decoder, out } = await decodeAll(packets, 20);
    expect(decoder.errors).toBe(1);
    const seqs = out.map((f) => f.seq);
    expect(seqs).not.toContain(40);
    expect(seqs).toContain(41);
    expect(seqs.at(-1)).toBe(99);
    // Sync is kept: the second click still comes out where its stamps say.
    const later = out.filter((f) => f.seq >= 41);
    const at = firstLoud(later) + 41 * FRAME_SAMPLES;
    expect(Math.abs(at - (24_100 + OPUS_DELAY_SAMPLES))).toBeLessThanOrEqual(40);
  });

  it('gives nothing after close, even for packets still waiting for the module', async () => {
    const packets = encodeOpus(clicksAt([100]), 10);
    const { decoder, out } = decoderWith(wasmOpus);
    for (const [seq, p] of packets.entries()) decoder.decode(frame(seq, p));
    decoder.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(out).toEqual([]);
  });
});
