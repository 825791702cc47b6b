import { describe, expect, it } from 'vitest';
import { PlayoutCore, type PlayoutOptions } from './PlayoutCore.js';

/*
 * A simulated device. The host's stream is 10 ms frames at 48 kHz: channel 0 a 440 Hz sine (to look
 * for clicks), channel 1 a ramp whose value encodes its sample index modulo RAMP_PERIOD, so that the
 * test reads back, for every output sample, exactly which media position came out (cubic Hermite
 * reproduces a ramp exactly). The device renders 128-sample quanta; for quantum k it asks for the
 * true media position of its first sample (plus optional noise), and the true position advances
 * by `step` media samples per output sample (48000 / sampleRate, times 1 + drift).
 */

const T0 = 1_800_000_000_000; // host-clock ms of the first frame: epoch-sized on purpose
const MEDIA_RATE = 48_000;
const FRAME = 480;
const QUANTUM = 128;
const RAMP_PERIOD = 16_384;
/** Decoding skips samples this close to a wrap of the ramp (more than the largest error decoded). */
const WRAP_MARGIN = 320;
const SINE_HZ = 440;
const SINE_AMP = 0.5;
/** Largest sample-to-sample change of the sine at 48 kHz. */
const SINE_SLOPE = SINE_AMP * 2 * Math.PI * (SINE_HZ / MEDIA_RATE);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function rampValue(n: number): number {
  return (((n % RAMP_PERIOD) + RAMP_PERIOD) % RAMP_PERIOD) / RAMP_PERIOD - 0.5;
}

function makeFrame(firstSample: number, channels = 2): Float32Array[] {
  const sine = new Float32Array(FRAME);
  const ramp = new Float32Array(FRAME);
  for (let j = 0; j < FRAME; j++) {
    const n = firstSample + j;
    sine[j] = SINE_AMP * Math.sin((2 * Math.PI * SINE_HZ * n) / MEDIA_RATE);
    ramp[j] = rampValue(n);
  }
  return channels === 1 ? [sine] : [sine, ramp];
}

/** The media index encoded in a ramp output value, unwrapped around `expected`; null near a wrap. */
function decode(value: number, expected: number): number | null {
  const phase = ((expected % RAMP_PERIOD) + RAMP_PERIOD) % RAMP_PERIOD;
  if (phase < WRAP_MARGIN || phase > RAMP_PERIOD - WRAP_MARGIN) return null; // may straddle the wrap
  let d = (value + 0.5) * RAMP_PERIOD - phase;
  if (d > RAMP_PERIOD / 2) d -= RAMP_PERIOD;
  if (d < -RAMP_PERIOD / 2) d += RAMP_PERIOD;
  return expected + d;
}

interface SimOptions {
  sampleRate?: number;
  /** Device clock drift against the host clock (200e-6: the target advances 200 ppm faster). */
  drift?: number;
  /** The caller's mediaTime is off by a uniform random amount in +-noiseMs. */
  noiseMs?: number;
  seed?: number;
  /** Frames are pushed this far ahead of their play time. */
  leadMs?: number;
  /** Media index (samples after the stream's first frame) that the first quantum must play. */
  startIndex?: number;
  options?: Partial<PlayoutOptions>;
  /** Frames (by number) that never arrive. */
  lose?: (frame: number) => boolean;
  /** Pass the true step as mediaStep. */
  feedForward?: boolean;
}

/** One output sample as the test saw it. */
interface Sample {
  /** True media index that should be playing (relative to the stream's first frame). */
  truth: number;
  /** Decoded media index, or null where the ramp wraps. */
  decoded: number | null;
  sine: number;
}

class Device {
  readonly core: PlayoutCore;
  readonly sampleRate: number;
  readonly step: number;
  readonly out = [new Float32Array(QUANTUM), new Float32Array(QUANTUM)];
  /** Host-clock ms of the current stream's first frame. */
  streamT0 = T0;
  /** True media index (relative to streamT0) at output sample 0; moving it is a target step. */
  offset: number;
  pushing = true;
  nextFrame = 0;
  quanta = 0;
  prevSine = 0;
  maxSineDiff = 0;
  /** Largest |decoded - truth| (samples) in the last quantum, and since this was last set to 0. */
  quantumError = 0;
  worstError = 0;
  readonly #o: SimOptions;
  readonly #random: () => number;

  constructor(o: SimOptions = {}) {
    this.#o = o;
    this.sampleRate = o.sampleRate ?? 48_000;
    this.step = (MEDIA_RATE / this.sampleRate) * (1 + (o.drift ?? 0));
    this.core = new PlayoutCore({ sampleRate: this.sampleRate, channels: 2, ...o.options });
    this.#random = rng(o.seed ?? 1);
    this.offset = o.startIndex ?? 1000.37;
  }

  truth(i: number): number {
    return this.offset + (this.quanta * QUANTUM + i) * this.step;
  }

  /** Pushes what has arrived by now, renders one quantum and returns what came out. */
  quantum(record?: Sample[]): void {
    const target = this.truth(0);
    const lead = this.#o.leadMs ?? 60;
    while (this.pushing && (this.nextFrame * FRAME) / 48 < target / 48 + lead) {
      const f = this.nextFrame++;
      if (!this.#o.lose?.(f)) this.core.push(this.streamT0 + f * 10, makeFrame(f * FRAME), FRAME);
    }
    const noise = (this.#o.noiseMs ?? 0) * 2 * (this.#random() - 0.5);
    const mediaTime = this.streamT0 + target / 48 + noise;
    const step = this.#o.feedForward ? (this.step * 1000) / MEDIA_RATE : undefined;
    this.core.render(this.out, QUANTUM, mediaTime, step);
    const [sine, ramp] = this.out as [Float32Array, Float32Array];
    let worst = 0;
    for (let i = 0; i < QUANTUM; i++) {
      const s = sine[i] as number;
      this.maxSineDiff = Math.max(this.maxSineDiff, Math.abs(s - this.prevSine));
      this.prevSine = s;
      const truth = this.truth(i);
      const decoded = decode(ramp[i] as number, truth);
      if (decoded !== null) worst = Math.max(worst, Math.abs(decoded - truth));
      record?.push({ truth, decoded, sine: s });
    }
    this.quantumError = worst;
    this.worstError = Math.max(this.worstError, worst);
    this.quanta++;
  }

  run(seconds: number, record?: Sample[]): void {
    const n = Math.round((seconds * this.sampleRate) / QUANTUM);
    for (let q = 0; q < n; q++) this.quantum(record);
  }

  /** Largest |decoded - truth| (samples) over the samples recorded. */
  static maxError(samples: Sample[]): number {
    let m = 0;
    for (const s of samples) if (s.decoded !== null) m = Math.max(m, Math.abs(s.decoded - s.truth));
    return m;
  }
}

const fadeSamples = (sampleRate: number) => Math.round(0.005 * sampleRate);
const ms = (samples: number) => samples / 48;

describe('PlayoutCore start', () => {
  it('outputs silence and is not playing while no frame covers the target', () => {
    const core = new PlayoutCore({ sampleRate: 48_000, channels: 2 });
    const out = [new Float32Array(QUANTUM).fill(1), new Float32Array(QUANTUM).fill(1)];
    for (let q = 0; q < 20; q++) {
      core.render(out, QUANTUM, T0 + q * (QUANTUM / 48));
      expect(out.every((ch) => ch.every((v) => v === 0))).toBe(true);
    }
    expect(core.stats()).toMatchObject({ playing: false, underrunMs: 0, concealEvents: 0 });
  });

  it('starts at the exact (fractional) target sample, after a fade-in', () => {
    const dev = new Device({ startIndex: 1000.37 });
    const rec: Sample[] = [];
    dev.run(0.5, rec);
    expect(Math.abs(rec[0]?.sine ?? 1)).toBeLessThan(1e-3); // the fade starts from silence
    const afterFade = rec.slice(fadeSamples(48_000));
    expect(Device.maxError(afterFade)).toBeLessThan(0.01);
    expect(afterFade.filter((s) => s.decoded !== null).length).toBeGreaterThan(20_000);
    expect(dev.core.stats()).toMatchObject({ playing: true, underrunMs: 0, hardResyncs: 0 });
    // Not zero: mediaTime near 1.8e12 ms is itself only resolved to 2.4e-4 ms in float64.
    expect(Math.abs(dev.core.stats().errorMs)).toBeLessThan(1e-4);
  });

  it('starts mid-quantum where the first frame begins, on the right sample', () => {
    // The first quantum asks for media index -50.3: the stream starts 50.3 samples into it.
    const dev = new Device({ startIndex: -50.3 });
    const rec: Sample[] = [];
    dev.run(0.2, rec);
    const first = rec.findIndex((s) => s.sine !== 0);
    // Output sample 52 plays index 1.7, the first whose four taps (0..3) are all there.
    expect(first).toBe(52);
    expect(rec.slice(0, first).every((s) => s.sine === 0)).toBe(true);
    expect(Device.maxError(rec.slice(first + fadeSamples(48_000)))).toBeLessThan(0.01);
    expect(dev.core.stats().underrunMs).toBe(0);
  });

  it('keeps its place when rendering starts before the first frame arrives', () => {
    // 200 ms of rendering (against a provisional origin) before the stream's first frame is due.
    const dev = new Device({ startIndex: -200.01 * 48, drift: 200e-6, leadMs: 40 });
    const rec: Sample[] = [];
    dev.run(1, rec);
    const first = rec.findIndex((s) => s.sine !== 0);
    expect(Math.abs(first - 200.01 * 48)).toBeLessThan(3);
    expect(Device.maxError(rec.slice(first + fadeSamples(48_000)))).toBeLessThan(0.01);
  });
});

describe('PlayoutCore drift and noise', () => {
  it.each([200, -300])('tracks a %i ppm device drift with a steady error below 0.05 ms', (ppm) => {
    const dev = new Device({ drift: ppm * 1e-6 });
    dev.run(1);
    dev.worstError = 0;
    dev.run(14);
    const worst = ms(dev.worstError);
    expect(worst).toBeLessThan(0.01); // measured: 0.0004 ms from 1 s on, 1e-5 ms after 5 s
    expect(dev.core.stats().ratePpm).toBeCloseTo(ppm, 0);
    expect(dev.core.stats()).toMatchObject({ hardResyncs: 0, concealEvents: 0, targetSteps: 0 });
  });

  it('does not let +-0.2 ms of target jitter move the rate more than 50 ppm off the true drift', () => {
    const dev = new Device({ drift: 100e-6, noiseMs: 0.2, seed: 7 });
    dev.run(5);
    let worstPpm = 0;
    let worstErr = 0;
    for (let q = 0; q < 375 * 20; q++) {
      dev.quantum();
      worstPpm = Math.max(worstPpm, Math.abs(dev.core.stats().ratePpm - 100));
      worstErr = Math.max(worstErr, dev.quantumError);
    }
    expect(worstPpm).toBeLessThan(50); // measured: 13 ppm (34 ppm at 2-3 s, ~1000 in the first 0.1 s)
    expect(ms(worstErr)).toBeLessThan(0.05); // measured: ~0.01 ms
    expect(dev.core.stats()).toMatchObject({ hardResyncs: 0, targetSteps: 0 });
  });

  it("uses the caller's mediaStep as feed-forward: a known 300 ppm drift leaves no transient", () => {
    const dev = new Device({ drift: 300e-6, feedForward: true });
    const rec: Sample[] = [];
    dev.run(3, rec);
    expect(ms(Device.maxError(rec.slice(fadeSamples(48_000))))).toBeLessThan(0.001);
    expect(dev.core.stats().ratePpm).toBeCloseTo(300, 0);
  });
});

describe('PlayoutCore corrections', () => {
  it.each([5, -5])(
    'converges softly from a %i ms target step, without a hard resync or a click',
    (stepMs) => {
      const dev = new Device();
      dev.run(2);
      dev.maxSineDiff = 0;
      dev.offset += stepMs * 48;
      let below05 = Number.NaN;
      let below005 = Number.NaN;
      for (let q = 1; q <= 375 * 7; q++) {
        dev.quantum();
        const err = ms(dev.quantumError);
        const t = (q * QUANTUM) / 48_000;
        if (err >= 0.5) below05 = Number.NaN;
        else if (Number.isNaN(below05)) below05 = t;
        if (err >= 0.05) below005 = Number.NaN;
        else if (Number.isNaN(below005)) below005 = t;
      }
      expect(below05).toBeLessThan(3.5); // measured: 3.2 s
      expect(below005).toBeLessThan(6); // measured: 5.5 s
      expect(dev.core.stats()).toMatchObject({ hardResyncs: 0, targetSteps: 1, concealEvents: 0 });
      // Speeding up by at most 0.5 % raises the sine's slope by as much: no discontinuity.
      expect(dev.maxSineDiff).toBeLessThan(1.01 * SINE_SLOPE);
    },
  );

  it.each([50.57, -50.57, 23, -400])('jumps once, crossfaded, for a %f ms target step', (stepMs) => {
    const dev = new Device({ leadMs: 100, options: { capacityMs: 2000 } });
    dev.run(1);
    dev.maxSineDiff = 0;
    dev.offset += stepMs * 48;
    const rec: Sample[] = [];
    dev.run(0.5, rec);
    expect(dev.core.stats()).toMatchObject({ hardResyncs: 1, targetSteps: 1 });
    // Three quanta to confirm the step, one fade to cross over, then exact again.
    expect(Device.maxError(rec.slice(3 * QUANTUM + fadeSamples(48_000)))).toBeLessThan(0.01);
    expect(dev.maxSineDiff).toBeLessThan(1.5 * SINE_SLOPE);
  });
});

describe('PlayoutCore missing and misordered frames', () => {
  it('conceals 5 % random frame loss: no stall, underrun counted, exact position after each gap', () => {
    const random = rng(42);
    const lost = new Set<number>();
    for (let f = 10; f < 900; f++) if (random() < 0.05) lost.add(f);
    const dev = new Device({ startIndex: 0, lose: (f) => lost.has(f) });
    const rec: Sample[] = [];
    dev.run(10, rec);

    // Gaps (runs of lost frames) inside the part played.
    const played = Math.floor((rec.at(-1)?.truth ?? 0) / FRAME);
    let runs = 0;
    let expectedUnderrun = 0;
    for (let f = 10; f < played; f++) {
      if (!lost.has(f)) continue;
      let n = 1;
      while (lost.has(f + n)) n++;
      runs++;
      // Silent from where the last tap (i0 + 2) reaches the gap to where the first tap (i0 - 1) leaves it.
      expectedUnderrun += n * 10 + 3 / 48;
      f += n;
    }
    const s = dev.core.stats();
    expect(lost.size).toBeGreaterThan(30);
    expect(s.concealEvents).toBe(runs);
    expect(s.underrunMs).toBeGreaterThan(expectedUnderrun - runs * 0.03);
    expect(s.underrunMs).toBeLessThan(expectedUnderrun + runs * 0.03);
    expect(s.playing).toBe(true);

    const fade = fadeSamples(48_000);
    const nearGap = (x: number) => {
      const last = Math.floor((x + fade + 4) / FRAME);
      for (let f = Math.floor((x - fade - 4) / FRAME); f <= last; f++) if (lost.has(f)) return true;
      return false;
    };
    let inGap = 0;
    let loudInGap = 0;
    let checked = 0;
    let worst = 0;
    for (const r of rec) {
      if (lost.has(Math.floor((r.truth - 3) / FRAME)) && lost.has(Math.floor((r.truth + 3) / FRAME))) {
        inGap++;
        if (r.sine !== 0) loudInGap++;
      } else if (r.decoded !== null && !nearGap(r.truth)) {
        worst = Math.max(worst, Math.abs(r.decoded - r.truth));
        checked++;
      }
    }
    expect(loudInGap).toBe(0);
    expect(inGap).toBeGreaterThan(10_000);
    expect(worst).toBeLessThan(0.01); // samples: every gap resumes on the exact position
    expect(checked).toBeGreaterThan(300_000);
    // Fades, not clicks, at every gap edge.
    expect(dev.maxSineDiff).toBeLessThan(1.5 * SINE_SLOPE);
  });

  it('goes idle after idleAfterMs without data, then starts again exactly on the target', () => {
    const dev = new Device({ startIndex: 0 });
    dev.run(1);
    dev.pushing = false;
    dev.run(2);
    const idle = dev.core.stats();
    expect(idle.playing).toBe(false);
    expect(idle.concealEvents).toBe(1);
    // Once the buffered 60 ms have played, underrun counts for idleAfterMs (500 ms), then the core idles.
    expect(idle.underrunMs).toBeGreaterThan(499);
    expect(idle.underrunMs).toBeLessThan(501);
    dev.pushing = true;
    dev.nextFrame = Math.ceil(dev.truth(0) / FRAME) + 1;
    const rec: Sample[] = [];
    dev.run(0.5, rec);
    const first = rec.findIndex((r) => r.sine !== 0);
    expect(Device.maxError(rec.slice(first + fadeSamples(48_000)))).toBeLessThan(0.01);
    expect(dev.core.stats()).toMatchObject({ playing: true, concealEvents: 1, hardResyncs: 0 });
  });

  it('places out-of-order frames by stamp: the output matches an in-order stream', () => {
    const options = { sampleRate: 48_000, channels: 2 };
    const inOrder = new PlayoutCore(options);
    const shuffled = new PlayoutCore(options);
    const random = rng(3);
    const order = Array.from({ length: 40 }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (let f = 0; f < 40; f++) inOrder.push(T0 + f * 10, makeFrame(f * FRAME), FRAME);
    for (const f of order) expect(shuffled.push(T0 + f * 10, makeFrame(f * FRAME), FRAME)).toBe(true);
    const a = [new Float32Array(QUANTUM), new Float32Array(QUANTUM)];
    const b = [new Float32Array(QUANTUM), new Float32Array(QUANTUM)];
    let worst = 0;
    let loud = 0;
    for (let q = 0; q < 100; q++) {
      const mediaTime = T0 + 3.21 + (q * QUANTUM) / 48;
      inOrder.render(a, QUANTUM, mediaTime);
      shuffled.render(b, QUANTUM, mediaTime);
      for (let c = 0; c < 2; c++) {
        for (let i = 0; i < QUANTUM; i++) {
          worst = Math.max(worst, Math.abs((b[c]?.[i] as number) - (a[c]?.[i] as number)));
          if (a[c]?.[i] !== 0) loud++;
        }
      }
    }
    // The origins differ (the first frame to arrive), so allow for float rounding, nothing more.
    expect(worst).toBeLessThan(1e-6);
    expect(loud).toBeGreaterThan(20_000);
    expect(shuffled.stats()).toMatchObject({ framesReceived: 40, framesLate: 0, framesDuplicate: 0 });
  });

  it('counts duplicates, late, far-future and malformed frames, and refuses them', () => {
    const core = new PlayoutCore({ sampleRate: 48_000, channels: 2, capacityMs: 1000 });
    const out = [new Float32Array(QUANTUM), new Float32Array(QUANTUM)];
    for (let f = 0; f < 30; f++) expect(core.push(T0 + f * 10, makeFrame(f * FRAME), FRAME)).toBe(true);
    expect(core.push(T0 + 50, makeFrame(5 * FRAME), FRAME)).toBe(false); // duplicate
    expect(core.push(T0 + 50, makeFrame(5 * FRAME), FRAME)).toBe(false); // and again
    // Play 100 ms (from T0 + 100): frames 0..9 are behind the read position after the first quantum.
    for (let q = 0; q < 38; q++) core.render(out, QUANTUM, T0 + 100 + (q * QUANTUM) / 48);
    expect(core.stats().playing).toBe(true);
    expect(core.push(T0 + 500, makeFrame(50 * FRAME), FRAME)).toBe(true); // ahead, holes are fine
    expect(core.push(T0 + 150, makeFrame(15 * FRAME), FRAME)).toBe(false); // (duplicate)
    // A frame never seen, whose last sample has been played: late.
    const late = new PlayoutCore({ sampleRate: 48_000, channels: 2 });
    late.push(T0 + 100, makeFrame(10 * FRAME), FRAME);
    for (let q = 0; q < 10; q++) late.render(out, QUANTUM, T0 + 100 + (q * QUANTUM) / 48);
    expect(late.push(T0 + 90, makeFrame(9 * FRAME), FRAME)).toBe(false);
    expect(late.push(T0 + 110, makeFrame(11 * FRAME), FRAME)).toBe(false); // ends at T0 + 120 < now
    expect(late.push(T0 + 120, makeFrame(12 * FRAME), FRAME)).toBe(true); // partly ahead: kept
    expect(late.stats()).toMatchObject({ framesReceived: 4, framesLate: 2, framesDuplicate: 0 });
    // Read position T0 + 126.67 ms: they missed by 26.67 and 6.67 ms.
    expect(late.stats().lateMsTotal).toBeCloseTo(26.667 + 6.667, 1);
    // Beyond the ring's capacity (1000 ms) ahead of the read position.
    expect(core.push(T0 + 1300, makeFrame(130 * FRAME), FRAME)).toBe(false);
    // Malformed.
    expect(core.push(Number.NaN, makeFrame(0), FRAME)).toBe(false);
    expect(core.push(T0 + 600, makeFrame(0), 0)).toBe(false);
    expect(core.push(T0 + 600, makeFrame(0), 4.5)).toBe(false);
    expect(core.push(T0 + 600, [new Float32Array(100)], FRAME)).toBe(false);
    expect(core.push(T0 + 600, [], FRAME)).toBe(false);
    expect(core.push(T0 + 600, makeFrame(0), FRAME, 44_100)).toBe(false);
    expect(core.push(T0 + 600, makeFrame(0), FRAME, 48_000)).toBe(true);
    expect(core.stats()).toMatchObject({
      framesReceived: 42,
      framesDuplicate: 3,
      framesLate: 0,
      framesDropped: 7,
    });
  });

  it('upmixes a mono frame to every output channel and never outputs NaN', () => {
    const core = new PlayoutCore({ sampleRate: 48_000, channels: 2 });
    const [mono] = makeFrame(0, 1) as [Float32Array];
    mono[100] = Number.NaN;
    mono[101] = Number.POSITIVE_INFINITY;
    core.push(T0, [mono], FRAME);
    const out = [new Float32Array(QUANTUM), new Float32Array(QUANTUM)];
    core.render(out, QUANTUM, T0);
    expect(out[1]).toEqual(out[0]);
    core.render(out, QUANTUM, T0 + QUANTUM / 48);
    expect(out[0]?.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('PlayoutCore output rate and flush', () => {
  it('plays 48 kHz frames at a 44.1 kHz output, on the exact sample', () => {
    const exact = new Device({ sampleRate: 44_100 });
    const rec: Sample[] = [];
    exact.run(2, rec);
    expect(Device.maxError(rec.slice(fadeSamples(44_100)))).toBeLessThan(0.01);
    expect(exact.core.stats().ratePpm).toBeCloseTo(0, 1);
    expect(exact.maxSineDiff).toBeLessThan(1.01 * SINE_SLOPE * (48_000 / 44_100));

    const drifting = new Device({ sampleRate: 44_100, drift: 150e-6 });
    drifting.run(5);
    drifting.worstError = 0;
    drifting.run(5);
    expect(ms(drifting.worstError)).toBeLessThan(0.05);
    expect(drifting.core.stats().ratePpm).toBeCloseTo(150, 0);
  });

  it('fades out on flush, then starts a new stream on another sub-sample grid exactly', () => {
    const dev = new Device();
    dev.run(1);
    dev.maxSineDiff = 0;
    dev.core.flush();
    expect(dev.core.stats()).toMatchObject({ playing: false, bufferedMs: 0 });
    // The new stream starts 300 ms later, its stamps 0.123 ms off the old grid.
    const nowMs = dev.streamT0 + dev.truth(0) / 48;
    dev.streamT0 = nowMs + 300.123;
    dev.offset -= (dev.streamT0 - T0) * 48;
    dev.nextFrame = 0;
    const rec: Sample[] = [];
    dev.run(1, rec);
    const fade = fadeSamples(48_000);
    // The fade-out: smooth, and silent once over, until the new stream's first sample.
    expect(dev.maxSineDiff).toBeLessThan(1.5 * SINE_SLOPE);
    expect(rec.slice(fade, 300 * 48 - 4).every((r) => r.sine === 0)).toBe(true);
    expect(Math.abs(rec[fade - 2]?.sine ?? 1)).toBeLessThan(1e-3);
    const first = rec.findIndex((r, i) => i > fade && r.sine !== 0);
    expect(Math.abs(first - 300.123 * 48)).toBeLessThan(4);
    expect(Device.maxError(rec.slice(first + fade))).toBeLessThan(0.01);
    expect(dev.core.stats()).toMatchObject({ playing: true, underrunMs: 0, hardResyncs: 0 });
  });

  it('renders silence for a non-finite mediaTime and leaves the state alone', () => {
    const dev = new Device();
    dev.run(0.2);
    const before = dev.core.stats();
    const out = [new Float32Array(QUANTUM).fill(1), new Float32Array(QUANTUM).fill(1)];
    dev.core.render(out, QUANTUM, Number.NaN);
    expect(out.every((ch) => ch.every((v) => v === 0))).toBe(true);
    expect(dev.core.stats()).toEqual(before);
  });
});

describe('PlayoutCore API', () => {
  // render() and push() allocate nothing: a heap measure would be flaky, so PlayoutCore is written to
  // make it evident (typed arrays from the constructor, no closures, objects or iterators on those
  // paths; see its header). What is tested here is that the snapshots handed out are not the core's.
  it('stats() returns a fresh snapshot each call; statsInto() fills the object given', () => {
    const dev = new Device();
    dev.run(0.1);
    const a = dev.core.stats();
    const copy = { ...a };
    dev.run(0.1);
    const b = dev.core.stats();
    expect(b).not.toBe(a);
    expect(a).toEqual(copy); // an old snapshot is not updated (nor retained) by later renders
    a.framesReceived = -1;
    expect(dev.core.stats().framesReceived).toBe(b.framesReceived);
    const into = dev.core.stats();
    expect(dev.core.statsInto(into)).toBe(into);
  });

  it('refuses bad options with a RangeError naming the option', () => {
    expect(() => new PlayoutCore({ sampleRate: 0, channels: 2 })).toThrow(/sampleRate/);
    expect(() => new PlayoutCore({ sampleRate: 48_000, channels: 2.5 })).toThrow(/channels/);
    expect(() => new PlayoutCore({ sampleRate: 48_000, channels: 2, fadeMs: -1 })).toThrow(/fadeMs/);
    expect(() => new PlayoutCore({ sampleRate: 48_000, channels: 2, capacityMs: Number.NaN })).toThrow(
      /capacityMs/,
    );
  });
});
